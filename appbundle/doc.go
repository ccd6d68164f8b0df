// Package appbundle builds and reads web bundles in the formats the Capgo
// CLI produces and the capacitor-updater plugin reads: the zip, the
// per-file (delta) manifest with brotli-compressed files, and encryption
// v2 (an AES-128-CBC session key protected by the app's RSA key pair).
// It uses Go's standard cryptography and github.com/andybalholm/brotli.
//
// References are to Cap-go/CLI at aa5eb5e (C/) and Cap-go/capacitor-updater
// at e235d09, v8.51.14 (A/ = android/src/main/java/ee/forgr/
// capacitor_updater/, I/ = ios/Sources/CapacitorUpdaterPlugin/).
package appbundle
