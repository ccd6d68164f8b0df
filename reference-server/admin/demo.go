package admin

import (
	"context"
	"fmt"
)

// The demo's names.
const (
	DemoAppID      = "com.example.app"
	DemoBuiltin    = "1.0.0"
	DemoProduction = "production"
	DemoBeta       = "beta"
	DemoBundleSize = 5_000_000
	demoProdBundle = "1.1.0"
	demoBetaBundle = "1.2.0"
)

// SeedDemo makes the demo ready: app com.example.app; bundles 1.0.0 (the
// builtin native version), 1.1.0 and 1.2.0, real zips of size bytes
// (DemoBundleSize in the documented demo); channel production (public, the
// default) serving 1.1.0; channel beta (private, devices may assign
// themselves) serving 1.2.0. It only creates what is missing, so it is
// safe on an existing database.
func (a *API) SeedDemo(ctx context.Context, size int64) error {
	if a.st.Snapshot().Apps[DemoAppID] == nil {
		if _, err := a.CreateApp(ctx, DemoAppID, false); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	for _, name := range []string{DemoBuiltin, demoProdBundle, demoBetaBundle} {
		if a.st.Snapshot().Apps[DemoAppID].Bundles[name] != nil {
			continue
		}
		if _, err := a.CreateBundle(ctx, DemoAppID, BundleSpec{Name: name, Size: size, MinNative: DemoBuiltin}); err != nil {
			return fmt.Errorf("demo: bundle %s: %w", name, err)
		}
	}
	t, f := true, false
	for _, c := range []struct {
		name, bundle    string
		public, selfSet *bool
	}{
		{DemoProduction, demoProdBundle, &t, &f},
		{DemoBeta, demoBetaBundle, &f, &t},
	} {
		if a.st.Snapshot().Apps[DemoAppID].Channel(c.name) != nil {
			continue
		}
		name, bundle := c.name, c.bundle
		_, err := a.CreateChannel(ctx, DemoAppID, ChannelSpec{Name: &name, Bundle: &bundle, Public: c.public, AllowSelfSet: c.selfSet})
		if err != nil {
			return fmt.Errorf("demo: channel %s: %w", c.name, err)
		}
	}
	return nil
}
