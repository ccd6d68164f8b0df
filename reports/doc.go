// Package reports turns a finished run (sim/results) into the artifacts a
// run folder carries besides its data: report.html and junit.xml. The
// subpackages do the work: html renders the offline report, junit the CI
// file, history keeps every run in SQLite, compare and baseline judge two
// runs, dashboard streams a live run to a browser.
//
// Reports only read results; they never import the simulator's engine or
// the reference server.
package reports
