// Package protocol holds the wire types of the capacitor-updater (v8) live
// update protocol: the info object every device sends, the replies of
// /updates, the /stats events and the /channel_self messages.
//
// It is the one leaf package that the reference server and the simulated
// devices share, so that both agree on the bytes on the wire. It holds data
// and the few rules that define the data (error kinds, action names), never
// behaviour of either side.
package protocol
