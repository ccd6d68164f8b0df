//go:build !race

package realrun

const raceEnabled = false
