package refserver

import (
	"sync"
	"sync/atomic"

	"github.com/otasim/otasim/reference-server/release"
)

// maxCachedPlugins bounds the plugin versions remembered: a fleet reports
// a handful; any others are parsed on every request.
const maxCachedPlugins = 4096

// pluginCache remembers parsed plugin versions, so that the /updates path
// evaluates the plugin-version policy once per version, not per request.
type pluginCache struct {
	m sync.Map // string → pluginEntry
	n atomic.Int64
}

type pluginEntry struct {
	p  release.Plugin
	ok bool
}

func (c *pluginCache) parse(v string) (release.Plugin, bool) {
	if e, ok := c.m.Load(v); ok {
		pe := e.(pluginEntry)
		return pe.p, pe.ok
	}
	p, ok := release.ParsePlugin(v)
	if c.n.Load() < maxCachedPlugins {
		if _, loaded := c.m.LoadOrStore(v, pluginEntry{p, ok}); !loaded {
			c.n.Add(1)
		}
	}
	return p, ok
}
