package protocol

// ChannelSelfRequest is the body of POST /channel_self: the info object and
// the channel the device asks for.
type ChannelSelfRequest struct {
	Info
	Channel string `json:"channel"`
}

// ChannelSetReply answers a successful POST /channel_self of a plugin that
// keeps its channel itself (v5.34.0, v6.34.0, v7.34.0, v8 and later).
// Older plugins get a StatusOK.
type ChannelSetReply struct {
	Status   string `json:"status"`
	AllowSet bool   `json:"allowSet"`
}

// ChannelGetReply answers PUT /channel_self: the device's channel and
// whether it comes from an override or the default. AllowSet comes with
// an override only.
type ChannelGetReply struct {
	Channel  string `json:"channel"`
	Status   string `json:"status"` // ChannelStatusOverride or ChannelStatusDefault
	AllowSet *bool  `json:"allowSet,omitempty"`
}

// Values of ChannelGetReply.Status.
const (
	ChannelStatusOverride = "override"
	ChannelStatusDefault  = "default"
)

// ChannelListItem is one entry of the GET /channel_self reply.
type ChannelListItem struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Public       bool   `json:"public"`
	AllowSelfSet bool   `json:"allow_self_set"`
}

// StatusOK is the reply of calls that only acknowledge, and of GET /updates
// and GET /stats (a health check).
type StatusOK struct {
	Status string `json:"status"`
}
