// Package trajectory turns decoded AIS positions into what the WAY model
// consumes, with one implementation for training data and inference inputs:
//
//   - Track and Clean: per-vessel time-ordered tracks, with duplicates,
//     invalid positions, far-future times and impossible jumps dropped and
//     counted by reason;
//   - Ports, Visits and Voyages: a port catalogue (World Port Index CSV or
//     GeoJSON points), port-visit detection and port-to-port voyages;
//   - Grid: GEOREF (WGRS) cells at a configurable resolution;
//   - Nested: WAY's nested sequences (visited cells, a few points per
//     cell, nine per-point features), with standard scaling.
//
// Geometry uses github.com/paulmach/orb (great-circle distance and
// bearing, GeoJSON).
package trajectory
