package scenarios

import "time"

// CDNFaults sets the CDN fault knobs (replacing the CDN knobs in force).
type CDNFaults struct {
	Latency      Duration  `yaml:"latency"`
	Jitter       Duration  `yaml:"jitter"`
	Bandwidth    Bandwidth `yaml:"bandwidth"` // per connection; 0: no cap
	ErrorRate    float64   `yaml:"error_rate"`
	ErrorMode    string    `yaml:"error_mode"` // 5xx (default) or reset
	TruncateRate float64   `yaml:"truncate_rate"`
	CorruptRate  float64   `yaml:"corrupt_rate"`
}

func (f *CDNFaults) check(c *checker, p string) {
	c.faultDelay(p+".latency", f.Latency)
	c.faultDelay(p+".jitter", f.Jitter)
	c.rate(p+".error_rate", f.ErrorRate)
	if f.ErrorMode != "5xx" && f.ErrorMode != "reset" {
		c.add(p+".error_mode", "%s is not an error mode (expected 5xx or reset)", quoteShort(f.ErrorMode))
	}
	c.rate(p+".truncate_rate", f.TruncateRate)
	c.rate(p+".corrupt_rate", f.CorruptRate)
}

// APIFaults sets the API fault knobs (replacing the API knobs in force).
type APIFaults struct {
	Latency       Duration `yaml:"latency"`
	Jitter        Duration `yaml:"jitter"`
	ErrorRate     float64  `yaml:"error_rate"`
	RateLimitRate float64  `yaml:"rate_limit_rate"`
	RetryAfter    Duration `yaml:"retry_after"`
}

func (f *APIFaults) check(c *checker, p string) {
	c.faultDelay(p+".latency", f.Latency)
	c.faultDelay(p+".jitter", f.Jitter)
	c.rate(p+".error_rate", f.ErrorRate)
	c.rate(p+".rate_limit_rate", f.RateLimitRate)
	if f.RetryAfter > Duration(24*time.Hour) {
		c.add(p+".retry_after", "%s is out of range (expected at most 24h, the plugin's cap)", f.RetryAfter)
	}
}

// ClearFaults clears the CDN faults, the API faults, or both (both false:
// both).
type ClearFaults struct {
	CDN bool `yaml:"cdn"`
	API bool `yaml:"api"`
}

func (*ClearFaults) check(*checker, string) {}

// faultDelay bounds an injected delay: the server sleeps it for real.
func (c *checker) faultDelay(path string, d Duration) {
	if d > Duration(time.Minute) {
		c.add(path, "%s is out of range (expected at most 1m: the server waits it in real time)", d)
	}
}
