// Package results is the contract between the fleet simulator and whatever
// reads a run: the summary (summary.json), the time series sampled in
// virtual time (series.json) and the HDR histograms exported losslessly
// (histograms.json), plus the run folder's atomic writer and reader.
//
// The types are plain data with JSON tags. The simulator fills them; the
// reports only read them. Histograms are stored in the HdrHistogram V2
// compressed encoding (base64), so histograms of different runs or shards
// merge exactly.
package results
