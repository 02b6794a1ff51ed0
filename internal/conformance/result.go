package conformance

import (
	"github.com/portolan-sdk/portolan/internal/mpack"
)

// AppendResult appends r as msgpack, with the JSON field names (the
// guest's conformance answer).
func AppendResult(b []byte, r *Result) []byte {
	n := 10
	if r.Error != "" {
		n++
	}
	b = mpack.AppendMapHeader(b, n)
	b = mpack.AppendString(mpack.AppendString(b, "target"), r.Target)
	b = mpack.AppendString(mpack.AppendString(b, "vector"), r.Vector)
	b = mpack.AppendString(mpack.AppendString(b, "kind"), r.Kind)
	b = mpack.AppendBool(mpack.AppendString(b, "pass"), r.Pass)
	b = mpack.AppendFloat64(mpack.AppendString(b, "max_abs_err"), r.MaxAbsErr)
	b = mpack.AppendArrayHeader(mpack.AppendString(b, "checks"), len(r.Checks))
	for _, c := range r.Checks {
		b = mpack.AppendMapHeader(b, 4)
		b = mpack.AppendString(mpack.AppendString(b, "name"), c.Name)
		b = mpack.AppendFloat64(mpack.AppendString(b, "max_err"), c.MaxErr)
		b = mpack.AppendFloat64(mpack.AppendString(b, "limit"), c.Limit)
		b = mpack.AppendBool(mpack.AppendString(b, "pass"), c.Pass)
	}
	b = mpack.AppendArrayHeader(mpack.AppendString(b, "values"), len(r.Values))
	for _, v := range r.Values {
		b = mpack.AppendFloat64(b, v)
	}
	b = mpack.AppendFloat64(mpack.AppendString(b, "value_abs"), r.ValueAbs)
	b = mpack.AppendFloat64(mpack.AppendString(b, "value_rel"), r.ValueRel)
	b = mpack.AppendString(mpack.AppendString(b, "kernels"), r.Kernels)
	if r.Error != "" {
		b = mpack.AppendString(mpack.AppendString(b, "error"), r.Error)
	}
	return b
}
