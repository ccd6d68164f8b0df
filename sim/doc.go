// Package sim is the fleet simulator's engine: it builds the population of
// a scenario, drives every virtual device through the plugin's behaviour on
// a virtual clock, sends the real requests through a bounded worker pool,
// carries out the timeline through an admin API, and returns the run's
// results (sim/results).
//
// One goroutine owns all device state and the event heap. Workers only do
// HTTP and hand their results back on a channel, so device state is never
// shared and needs no lock. Every request has an intended send time (the
// virtual time of the event that caused it, mapped to wall time); latency
// is measured from it, so a generator that falls behind cannot hide server
// slowness (coordinated omission), and its lag is reported.
package sim
