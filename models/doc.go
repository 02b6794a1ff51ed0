// Package models runs the networks of Portolan bundles: WAY (vessel
// destination and ETA) and the temporal-dropout regressor, built from an
// export.Bundle with every tensor's shape checked against the config.
// docs/MODELS.md specifies the computation; the tests check it against the
// PyTorch reference vectors in testdata/conformance.
//
// Models are immutable after construction and safe for concurrent use;
// working memory lives in per-call or per-stream buffers that are reused,
// so a streaming update allocates nothing.
package models
