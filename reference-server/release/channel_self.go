package release

import (
	"cmp"

	"github.com/otasim/otasim/protocol"
)

// SelfAction is what a /channel_self call does to the server-side choice
// of a legacy plugin (the device's override).
type SelfAction uint8

// The changes to a device's override.
const (
	KeepOverride SelfAction = iota
	StoreOverride
	DropOverride
)

// SelfOutcome is the answer to a /channel_self call.
type SelfOutcome struct {
	// Code is empty on success, else the error of the (200) reply, with
	// Message. Detail: the reply names the channel and app asked for.
	Code, Message string
	Detail        bool
	Action        SelfAction
	// Channel is the channel stored by StoreOverride, or the one a PUT
	// reports.
	Channel *Channel
	// DeviceKeeps: the reply is the one of a plugin that keeps its choice
	// itself ({"status":"ok","allowSet":...} for a set).
	DeviceKeeps bool
}

// SelfSet decides POST /channel_self (plugins/channel_self.ts:285-418) for
// a device whose plugin keeps its choice itself (deviceKeeps) or not, with
// current its override's channel (nil when none; only legacy plugins have
// it read). name is not empty (the handler answers missing_channel).
func SelfSet(app *App, current *Channel, name, platform string, deviceKeeps bool) SelfOutcome {
	if !deviceKeeps && current != nil && !current.Policy.AllowSelfSet {
		return SelfOutcome{Code: protocol.CodeCannotOverride, Message: "Cannot change device override current channel don't allow it"}
	}
	ch := app.Channel(name)
	switch {
	case ch == nil:
		return SelfOutcome{Code: protocol.CodeChannelNotFound, Message: "Cannot find channel", Detail: true}
	case !ch.Policy.AllowSelfSet && ch.Policy.Public:
		return SelfOutcome{Code: protocol.CodePublicChannelSelfSet, Detail: true,
			Message: "This channel is public and does not allow device self-assignment. Unset the channel and the device will automatically use the public channel."}
	case !ch.Policy.AllowSelfSet:
		return SelfOutcome{Code: protocol.CodeChannelSelfSetNotAllow, Message: "This channel does not allow devices to self associate", Detail: true}
	case deviceKeeps:
		return SelfOutcome{Channel: ch, DeviceKeeps: true}
	}
	// The legacy plugin's choice of its platform's public channel (the
	// "main" channel, channel_self.ts:367-393) clears its override instead
	// of storing one.
	if main := publicChannel(app, platform, false); main != nil && main.Name == name {
		return SelfOutcome{Action: DropOverride}
	}
	if current != nil && current.ID == ch.ID {
		return SelfOutcome{}
	}
	return SelfOutcome{Action: StoreOverride, Channel: ch}
}

// SelfGet decides PUT /channel_self (plugins/channel_self.ts:420-491). A
// plugin that keeps its choice sends it as channel and gets it back as an
// override (sent is its channel, defaultChannel its configured default);
// for a legacy plugin the server's override wins, else its defaultChannel
// (any channel of that name), else the first public channel of its
// platform.
func SelfGet(app *App, current *Channel, sent, defaultChannel, platform string, deviceKeeps bool) (reply protocol.ChannelGetReply, errCode string) {
	yes := true
	if deviceKeeps {
		if sent != "" {
			return protocol.ChannelGetReply{Channel: sent, Status: protocol.ChannelStatusOverride, AllowSet: &yes}, ""
		}
		return protocol.ChannelGetReply{Channel: cmp.Or(defaultChannel, "production"), Status: protocol.ChannelStatusDefault}, ""
	}
	if current != nil {
		allow := current.Policy.AllowSelfSet
		return protocol.ChannelGetReply{Channel: current.Name, Status: protocol.ChannelStatusOverride, AllowSet: &allow}, ""
	}
	var ch *Channel
	if defaultChannel != "" {
		ch = app.Channel(defaultChannel)
	} else {
		ch = publicChannel(app, platform, false)
	}
	if ch == nil {
		return protocol.ChannelGetReply{}, protocol.CodeChannelNotFound
	}
	return protocol.ChannelGetReply{Channel: ch.Name, Status: protocol.ChannelStatusDefault}, ""
}

// SelfUnset decides DELETE /channel_self (plugins/channel_self.ts:493-549):
// nothing to do for a plugin that keeps its choice; a legacy plugin may
// drop its override only when the override's channel allows self-assignment
// (an operator's pin on another channel stays).
func SelfUnset(current *Channel, deviceKeeps bool) SelfOutcome {
	switch {
	case deviceKeeps:
		return SelfOutcome{DeviceKeeps: true}
	case current == nil || !current.Policy.AllowSelfSet:
		return SelfOutcome{Code: protocol.CodeCannotOverride, Message: "Cannot change device override current channel don't allow it"}
	}
	return SelfOutcome{Action: DropOverride}
}

// SelfList lists the channels GET /channel_self offers a device
// (utils/pg.ts:1434-1482): public or self-assignable, serving its platform,
// its kind of build and device, in id order.
func SelfList(app *App, platform string, isEmulator, isProd bool) []protocol.ChannelListItem {
	out := []protocol.ChannelListItem{}
	for _, c := range app.Channels {
		p := c.Policy
		if !(p.AllowSelfSet || p.Public) || !p.AllowsPlatform(platform) ||
			(isEmulator && !p.AllowEmulator) || (!isEmulator && !p.AllowDevice) ||
			(isProd && !p.AllowProd) || (!isProd && !p.AllowDev) {
			continue
		}
		out = append(out, protocol.ChannelListItem{ID: c.ID, Name: c.Name, Public: p.Public, AllowSelfSet: p.AllowSelfSet})
	}
	return out
}
