package device

// ChannelResult is a /channel_self reply.
type ChannelResult struct {
	// Kind is the request (ReqChannelSet, ReqChannelGet, ...).
	Kind uint8
	// Status is the HTTP status, 0 when no reply came.
	Status int
	// Block is a 429's retry hint in ms.
	Block int64
	// OK: the reply has no error.
	OK   bool
	Code string
	// Channel is the device's channel after an accepted setChannel (the
	// one asked for, or the configured default for a reply with
	// "unset"), or the channel a getChannel reply names; None when the
	// reply names none the device can keep.
	Channel uint8
}

// appLoaded is the app's own code after a cold start: a self-assigning
// app calls setChannel(channel, triggerAutoUpdate: true) until the server
// answers it, a channel picker calls getChannel and listChannels. During
// a 429 block the plugin refuses them without a request
// (A/CapgoUpdater.java:2433).
func (m Machine) appLoaded(s *State, dev uint32, now int64) {
	if s.Blocked(now) {
		return
	}
	b := m.Env.Behaviour(dev)
	if b.SelfAssign && s.Flags&(FlagChannelAsked|FlagChannelInFlight) == 0 {
		s.set(FlagChannelInFlight)
		m.Env.Send(dev, ReqChannelSet, 0)
	}
	if b.ChannelPicker {
		m.Env.Send(dev, ReqChannelGet, 0)
		m.Env.Send(dev, ReqChannelList, 0)
	}
}

// ChannelReply handles a /channel_self reply. An accepted setChannel is
// kept on the device and sent as defaultChannel from then on
// (A/CapgoUpdater.java:2470), then checks (triggerAutoUpdate); a refused
// one keeps the previous channel; a getChannel reply's channel is kept too
// (A/CapgoUpdater.java:2609). Plugins older than x.34 keep nothing: the
// server holds their channel.
func (m Machine) ChannelReply(s *State, dev uint32, now int64, r ChannelResult) {
	if r.Status == 429 {
		m.RateLimited(s, dev, now, r.Block, r.Code)
	}
	legacy := m.Env.Behaviour(dev).LegacyChannel
	switch r.Kind {
	case ReqChannelSet:
		s.clear(FlagChannelInFlight)
		transient := r.Status == 0 || r.Status == 429 || r.Status >= 500
		if !r.OK {
			if !transient {
				s.set(FlagChannelAsked)
			}
			return
		}
		s.set(FlagChannelAsked)
		if !legacy {
			s.Channel = r.Channel
		}
		if s.Has(FlagInSession) {
			m.check(s, dev, now)
		}
	case ReqChannelGet:
		if r.OK && r.Channel != None && !legacy {
			s.Channel = r.Channel
		}
	}
}
