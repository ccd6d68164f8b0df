package protocol

// PushMessage is what the reference server sends over its /push WebSocket,
// an otasim extension beside the Capgo protocol: a device connected with
// its app and channel learns at once that the channel changed, instead of
// waiting for its next check.
type PushMessage struct {
	Type    string `json:"type"` // PushSubscribed or PushChannelUpdated
	AppID   string `json:"app_id"`
	Channel string `json:"channel"`
	Version string `json:"version,omitempty"` // the bundle now on the channel
}

// Values of PushMessage.Type.
const (
	// PushSubscribed is the first message of every connection: from then on
	// the device receives every change of its channel.
	PushSubscribed = "subscribed"
	// PushChannelUpdated says the channel's bundle or rollout changed; the
	// device should check /updates.
	PushChannelUpdated = "channel_updated"
)
