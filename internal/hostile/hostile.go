// Package hostile builds bundles that are well formed and within every
// per-field limit but that would cost a runtime more than it may spend:
// the inputs of the tests that prove such bundles are refused.
package hostile

import (
	"strings"

	"github.com/portolan-sdk/portolan/export"
)

// WideTransformer turns a Transformer temporal-dropout bundle into one of
// T steps and feed-forward width ffn, with zero weights of the shapes the
// config asks for: a few MB on disk whose forecasts need gigabytes of
// activations (attention grows with T², the feed-forward layer with ffn).
func WideTransformer(b *export.Bundle, T, ffn int) {
	H := int(b.Config["hidden"].(int64))
	b.Config["T"], b.Config["ffn"] = int64(T), int64(ffn)
	for i := range b.Tensors {
		tn := &b.Tensors[i]
		switch {
		case tn.Name == "pos":
			*tn = export.NewF32("pos", []int{1, T, H}, make([]float32, T*H))
		case strings.HasSuffix(tn.Name, ".linear1.weight"):
			*tn = export.NewF32(tn.Name, []int{ffn, H}, make([]float32, ffn*H))
		case strings.HasSuffix(tn.Name, ".linear1.bias"):
			*tn = export.NewF32(tn.Name, []int{ffn}, make([]float32, ffn))
		case strings.HasSuffix(tn.Name, ".linear2.weight"):
			*tn = export.NewF32(tn.Name, []int{H, ffn}, make([]float32, ffn*H))
		}
	}
}
