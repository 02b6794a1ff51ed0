package main

import (
	"bufio"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/testpy"
	"github.com/portolan-sdk/portolan/internal/wayprep"
	"github.com/portolan-sdk/portolan/uncertainty"
	"github.com/stretchr/testify/require"
)

// TestEvaluateTD: evaluate scores the forecasts that forecast prints with
// the uncertainty metrics, and writes the calibration curve and plot.
func TestEvaluateTD(t *testing.T) {
	dir := t.TempDir()
	csv, svg := filepath.Join(dir, "cal.csv"), filepath.Join(dir, "cal.svg")
	code, out, errOut := portolan("evaluate", "--model", tdDemo, "--series", sampleCSV, "--format", "json",
		"--calibration", csv, "--plot", svg)
	require.Equal(t, 0, code, errOut)
	var rep tdReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, 12, rep.Series)

	// the same numbers from forecast's output
	code, fc, errOut := portolan("forecast", "--model", tdDemo, "--series", sampleCSV, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	var m uncertainty.Metrics
	sc := bufio.NewScanner(strings.NewReader(fc))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct{ Mean, Std, Target float64 }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &row))
		m.Y, m.Mu, m.Var = append(m.Y, row.Target), append(m.Mu, row.Mean), append(m.Var, row.Std*row.Std)
	}
	require.Len(t, m.Y, 12)
	for k, want := range map[string]float64{"r2": m.R2(), "rmse": m.RMSE(), "nll": m.NLL(), "crps": m.CRPS(),
		"mace": m.MACE(), "picp90": m.PICP(0.9), "ence": m.ENCE(10), "sharpness": m.Sharpness()} {
		require.InDelta(t, want, rep.Metrics[k], 1e-9*math.Max(1, math.Abs(want)), k)
	}
	data, err := os.ReadFile(csv)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Equal(t, "level,observed", lines[0])
	require.Len(t, lines, 1+len(uncertainty.Levels))
	for i, c := range m.CalibrationCurve() {
		require.Equal(t, c, rep.Calibration[i].Observed)
	}
	plot, err := os.ReadFile(svg)
	require.NoError(t, err)
	require.Contains(t, string(plot), "<svg")
	require.Equal(t, len(uncertainty.Levels), strings.Count(string(plot), "<circle"))

	code, out, errOut = portolan("evaluate", "--model", tdDemo, "--series", sampleCSV)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ENCE (10 bins)")
}

func TestEvaluateErrors(t *testing.T) {
	dir := t.TempDir()
	unlabelled := filepath.Join(dir, "u.csv")
	require.NoError(t, os.WriteFile(unlabelled, []byte("id,step,ndvi,ndwi,sar_vv,elevation,soil\na,0,1,1,1,1,1\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", tdDemo, "--series", unlabelled}, "1 of 1 series have no target"},
		{[]string{"--model", tdDemo, "--shards", dir}, "scored on --series"},
		{[]string{"--model", wayDemo, "--series", sampleCSV}, "scored on --shards"},
		{[]string{"--model", wayDemo, "--shards", dir}, "no voyages in the test split"},
		{[]string{"--model", tdDemo, "--series", sampleCSV, "--bins", "0"}, "--bins 0"},
	} {
		t.Run(strings.Join(tc.args[2:], " "), func(t *testing.T) {
			code, _, errOut := portolan(append([]string{"evaluate"}, tc.args...)...)
			require.Equal(t, 1, code)
			require.Contains(t, errOut, tc.want)
		})
	}
	code, _, _ := portolan("evaluate", "--model", tdDemo)
	require.Equal(t, 2, code)
}

// TestEvaluateWAY scores the demo model and the two baselines on shards
// of a fleet it never saw.
func TestEvaluateWAY(t *testing.T) {
	dir := t.TempDir()
	nmea, shards := filepath.Join(dir, "f.nmea"), filepath.Join(dir, "shards")
	code, _, errOut := portolan("simulate", "--seed", "3", "--vessels", "40", "--days", "14", "--out", nmea)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = portolan("prepare", "way", "--ais", nmea, "--out", shards)
	require.Equal(t, 0, code, errOut)
	code, out, errOut := portolan("evaluate", "--model", wayDemo, "--shards", shards, "--format", "json", "--threads", "2")
	require.Equal(t, 0, code, errOut)
	var rep wayReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	test, err := wayprep.ReadSplit(shards, "test")
	require.NoError(t, err)
	require.Equal(t, test.Voyages(), rep.Voyages)
	require.Equal(t, len(test.Hours), rep.Steps, "every cell of every test voyage (none is over max_len)")
	require.Len(t, rep.Rows, 3)
	for _, row := range rep.Rows {
		require.Equal(t, float64(rep.Steps), row.Metrics["steps"])
		require.GreaterOrEqual(t, row.Metrics["top5"], row.Metrics["acc"], row.Name)
		require.GreaterOrEqual(t, row.Metrics["eta_mae_h"], 0.0)
	}
	require.Greater(t, rep.Rows[0].Metrics["top5"], rep.Rows[2].Metrics["top5"], "the model beats the nearest port ahead")

	code, table, _ := portolan("evaluate", "--model", wayDemo, "--shards", shards)
	require.Equal(t, 0, code)
	require.Contains(t, table, "most_frequent_from_departure")
	require.Contains(t, table, "ETA MAE (h)")
}

// TestBaselines checks both baselines on a hand-made split.
func TestBaselines(t *testing.T) {
	vocab := []export.Port{{Name: "unknown"}, {Locode: "AAAAA", Lat: 0, Lon: 1}, {Locode: "BBBBB", Lat: 0, Lon: -1},
		{Locode: "CCCCC", Lat: 0, Lon: 3}}
	// three training voyages: from A twice to B (10 h, 30 h), once to C; one from unknown to C
	train := &wayprep.Split{VoyageCells: []int32{0, 1, 2, 3, 4}, Dep: []int32{1, 1, 1, 0}, Dest: []int32{2, 2, 3, 3},
		Hours: []float32{0, 0, 0, 0}, ETA: []float32{10, 30, 5, 7}}
	f := newFrequencyBaseline(train, len(vocab))
	r := f.ranking(1)
	require.Equal(t, []int{3, 2, 0, 1}, r, "from A: B (2 voyages), then C, then A; unknown last")
	require.Equal(t, 20.0-4, f.eta(1, r, 4), "median of 10 and 30 hours, less 4 sailed")
	require.Equal(t, []int{3, 2, 0, 1}, f.ranking(2), "an unseen departure: overall frequency (B and C twice each: lower id first)")

	// at (0, 0) heading east (90°): C and A are ahead (A nearer), B behind
	pt := make([]float32, 9)
	pt[3], pt[5] = 10, 90 // 10 knots, course east
	s := &wayprep.Split{CellPoints: []int32{0, 1}, Points: pt, Centre: []float32{0, 0}}
	above, eta := nearestAhead(s, 0, 1, vocab, 3)
	require.Equal(t, 1, above, "C is second, after A")
	require.InDelta(t, 111.2e3/(10*1852.0), eta, 0.01, "A is 1° (111.2 km) away at 10 knots")
	above, _ = nearestAhead(s, 0, 1, vocab, 2)
	require.Equal(t, 2, above, "B is behind: ranked after every port ahead")
}

// TestWAYScoreMatchesTrainer scores the same predictions with wayScore and
// the trainer's Score and requires the same metrics.
func TestWAYScoreMatchesTrainer(t *testing.T) {
	py := testpy.Python(t)
	r := rand.New(rand.NewPCG(3, 5))
	type voyage struct {
		Logits      [][]float32 `json:"logits"`
		ETAHours    []float32   `json:"eta_hours"`
		Destination int         `json:"destination"`
		Progress    []float32   `json:"progress"`
		ETATrue     []float32   `json:"eta_true"`
	}
	var vs []voyage
	var s wayScore
	const classes = 12
	for v := 0; v < 40; v++ {
		n := 1 + r.IntN(30)
		vy := voyage{Destination: 1 + r.IntN(classes-1)}
		for i := 0; i < n; i++ {
			l := make([]float32, classes)
			for k := range l {
				l[k] = float32(math.Round(r.NormFloat64()*4) / 2) // coarse values: ties with the true class happen
			}
			vy.Logits = append(vy.Logits, l)
			vy.ETAHours = append(vy.ETAHours, float32(r.Float64()*100))
			vy.ETATrue = append(vy.ETATrue, float32(r.Float64()*100))
			vy.Progress = append(vy.Progress, float32(i)/float32(n)+float32(r.Float64())/float32(n))
			s.addLogits(l, vy.Destination, vy.Progress[i], math.Abs(float64(vy.ETAHours[i])-float64(vy.ETATrue[i])))
		}
		vs = append(vs, vy)
	}
	data, err := json.Marshal(map[string]any{"voyages": vs})
	require.NoError(t, err)
	in := filepath.Join(t.TempDir(), "way.json")
	require.NoError(t, os.WriteFile(in, data, 0o644))
	out, err := exec.Command(py, filepath.Join("..", "..", "training", "tests", "crossmetrics.py"), "way", in).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var want map[string]float64
	require.NoError(t, json.Unmarshal(out, &want))
	got := s.result(true)
	require.Len(t, got, len(want))
	for k, w := range want {
		if k == "eta_mae_h" || k == "nll" {
			require.InEpsilon(t, w, got[k], 1e-12, k)
			continue
		}
		require.Equal(t, w, got[k], k)
	}
}

// TestVocabularyMap: shard classes map to the model's by UN/LOCODE, or by
// name without one; unknown ports map to -1.
func TestVocabularyMap(t *testing.T) {
	model := []export.Port{{Name: "unknown"}, {Locode: "AAAAA"}, {Name: "Nameless"}, {Locode: "BBBBB"}}
	shards := []export.Port{{Name: "unknown"}, {Locode: "BBBBB"}, {Locode: "CCCCC"}, {Name: "Nameless"}}
	class, err := vocabularyMap(model, shards)
	require.NoError(t, err)
	require.Equal(t, []int{0, 3, -1, 2}, class)
	_, err = vocabularyMap(model, nil)
	require.Error(t, err)
}
