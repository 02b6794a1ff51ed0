package host

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/stretchr/testify/require"
)

// docExamples returns the fenced blocks of docs/WASM.md that follow an
// "<!-- example NAME -->" line, by name.
func docExamples(t *testing.T) map[string]string {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "WASM.md"))
	require.NoError(t, err)
	re := regexp.MustCompile("(?s)<!-- example ([a-z_ ]+) -->\n```[a-z]*\n(.*?)```")
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// hexBytes reads the bytes of a hex block: on each line, the hex pairs
// before the first run of two spaces (the rest is annotation).
func hexBytes(t *testing.T, block string) []byte {
	var out []byte
	for _, line := range strings.Split(block, "\n") {
		code := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), 2)[0]
		if code == "" {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(code, " ", ""))
		require.NoError(t, err, "line %q", line)
		out = append(out, b...)
	}
	return out
}

// TestWorkedExample runs the requests of docs/WASM.md §6 on the module,
// through the raw exports exactly as the document describes, and checks
// every byte of the answers.
func TestWorkedExample(t *testing.T) {
	ctx := context.Background()
	ex := docExamples(t)
	for _, k := range []string{"decode_ais request", "decode_ais answer", "predict request", "predict error"} {
		require.Contains(t, ex, k)
	}
	h := newHost(t, guestWasm, NewConfig().WithInstances(1))
	in, err := h.newInstance(ctx) // _initialize and abi_version checked
	require.NoError(t, err)
	defer in.close(ctx)

	req := hexBytes(t, ex["decode_ais request"])
	require.Len(t, req, 87)
	p, err := in.u32(ctx, abi.ExportAlloc, uint64(len(req)))
	require.NoError(t, err)
	require.NotZero(t, p)
	require.True(t, in.mem.Write(p, req))
	st, err := in.u32(ctx, abi.ExportDecodeAIS, uint64(p), uint64(len(req)))
	require.NoError(t, err)
	require.Zero(t, st)
	ans, err := in.read(ctx, abi.ExportAnswerPtr, abi.ExportAnswerLen)
	require.NoError(t, err)
	want := hexBytes(t, ex["decode_ais answer"])
	require.Len(t, want, 135)
	require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(ans))
	ps, err := abi.DecodeDecodeAnswer(ans)
	require.NoError(t, err)
	require.EqualValues(t, 636759026, ps[0].MMSI)

	req = hexBytes(t, ex["predict request"])
	_, err = in.raw(ctx, abi.ExportFree, uint64(p))
	require.NoError(t, err)
	p, err = in.u32(ctx, abi.ExportAlloc, uint64(len(req)))
	require.NoError(t, err)
	require.True(t, in.mem.Write(p, req))
	st, err = in.u32(ctx, abi.ExportPredict, uint64(p), uint64(len(req)))
	require.NoError(t, err)
	require.EqualValues(t, abi.NotFound, st)
	msg, err := in.read(ctx, abi.ExportErrorPtr, abi.ExportErrorLen)
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(ex["predict error"]), string(msg))

	// a request outside any alloc buffer is refused
	st, err = in.u32(ctx, abi.ExportPredict, uint64(p+1), uint64(len(req)))
	require.NoError(t, err)
	require.EqualValues(t, abi.BadRequest, st)
	// alloc refuses 0 and sizes over the limit
	for _, n := range []uint64{0, abi.MaxRequest + 1} {
		z, err := in.u32(ctx, abi.ExportAlloc, n)
		require.NoError(t, err)
		require.Zero(t, z)
	}
}
