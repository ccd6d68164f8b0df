package sim

// labels interns the strings of queued stats events (their actions, and
// the version names of manifest files' events) so that a queued event
// holds no pointer. A fleet behind its schedule holds millions of queued
// events; without pointers their arrays are memory the garbage collector
// never scans. Only the engine's loop uses it. The strings are few: the
// plugin's actions and the files of the scenario's manifests.
type labels struct {
	ids   map[string]uint32
	names []string
}

// noLabel is the empty string's id.
const noLabel = 0

func newLabels() labels {
	return labels{ids: map[string]uint32{"": noLabel}, names: []string{""}}
}

// id is s's id, given on first use.
func (l *labels) id(s string) uint32 {
	if id, ok := l.ids[s]; ok {
		return id
	}
	id := uint32(len(l.names))
	l.ids[s] = id
	l.names = append(l.names, s)
	return id
}

// name is the string of an id given by id.
func (l *labels) name(id uint32) string { return l.names[id] }
