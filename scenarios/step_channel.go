package scenarios

// ChannelRef names the channel of a pause, resume, promote or rollback.
type ChannelRef struct {
	Channel string `yaml:"channel"`
}

func (r *ChannelRef) check(c *checker, p string) {
	c.channelRef(p+".channel", r.Channel)
}
