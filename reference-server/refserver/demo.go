package refserver

import (
	"context"

	"github.com/otasim/otasim/reference-server/admin"
)

// The demo's names (see admin.SeedDemo).
const (
	DemoAppID      = admin.DemoAppID
	DemoBuiltin    = admin.DemoBuiltin
	DemoProduction = admin.DemoProduction
	DemoBeta       = admin.DemoBeta
	DemoBundleSize = admin.DemoBundleSize
)

// SeedDemo makes the demo ready on a server (admin.SeedDemo): app
// com.example.app, bundles 1.0.0, 1.1.0 and 1.2.0 of DemoBundleSize bytes,
// channels production and beta. It only creates what is missing.
func SeedDemo(ctx context.Context, s *Server) error { return s.seedDemo(ctx, DemoBundleSize) }

func (s *Server) seedDemo(ctx context.Context, size int64) error { return s.admin.SeedDemo(ctx, size) }
