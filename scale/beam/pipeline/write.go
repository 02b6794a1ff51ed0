package pipeline

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// writeAnswers writes answers to shards files of JSON lines named by
// prefix (PREFIX.jsonl for one shard, PREFIX-00000-of-00004.jsonl …), each
// sorted by Answer.Order, and, when geojson is set, the features to
// PREFIX[-SSSSS-of-NNNNN].geojson, one FeatureCollection per shard.
func writeAnswers(s beam.Scope, answers beam.PCollection, prefix string, shards int, geojson bool) {
	s = s.Scope("Write")
	keyed := beam.ParDo(s, &shardFn{Shards: shards}, answers)
	grouped := beam.GroupByKey(s, keyed)
	beam.ParDo0(s, &writeFn{Prefix: prefix, Shards: shards, GeoJSON: geojson}, grouped)
}

type shardFn struct{ Shards int }

func (f *shardFn) ProcessElement(a Answer) (int, Answer) {
	return int(uint64(a.Order) % uint64(f.Shards)), a
}

type writeFn struct {
	Prefix  string
	Shards  int
	GeoJSON bool
}

// shardName returns the file of a shard.
func shardName(prefix string, shard, shards int, ext string) string {
	if shards == 1 {
		return prefix + ext
	}
	return fmt.Sprintf("%s-%05d-of-%05d%s", prefix, shard, shards, ext)
}

func (f *writeFn) ProcessElement(ctx context.Context, shard int, answers func(*Answer) bool) error {
	var all []Answer
	var a Answer
	for answers(&a) {
		all = append(all, a)
	}
	slices.SortFunc(all, func(x, y Answer) int {
		if c := cmp.Compare(x.Order, y.Order); c != 0 {
			return c
		}
		return strings.Compare(x.Line, y.Line)
	})
	err := writeFile(ctx, shardName(f.Prefix, shard, f.Shards, ".jsonl"), func(w *bufio.Writer) {
		for _, a := range all {
			w.WriteString(a.Line)
			w.WriteByte('\n')
		}
	})
	if err != nil || !f.GeoJSON {
		return err
	}
	// as json.Marshal writes an orb FeatureCollection: members in key order
	return writeFile(ctx, shardName(f.Prefix, shard, f.Shards, ".geojson"), func(w *bufio.Writer) {
		w.WriteString(`{"features":[`)
		n := 0
		for _, a := range all {
			if a.Feature == "" {
				continue
			}
			if n > 0 {
				w.WriteByte(',')
			}
			w.WriteString(a.Feature)
			n++
		}
		w.WriteString("],\"type\":\"FeatureCollection\"}\n")
	})
}

// writeFile writes a file of a registered Beam filesystem.
func writeFile(ctx context.Context, path string, fill func(w *bufio.Writer)) error {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	wc, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(wc, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		wc.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
