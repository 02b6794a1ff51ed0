package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/portolan-sdk/portolan/sdk"
)

// Metrics namespace of every counter the pipelines report.
const namespace = "portolan"

// models holds the bundles this worker process has opened, by path: each
// is read once per process however many DoFn instances use it (sdk.Model
// is safe for concurrent use).
var models struct {
	sync.Mutex
	byPath map[string]*sdk.Model
}

// openModel returns the model at path (a local path or a URL of a
// registered Beam filesystem, such as gs://), reading it on first use.
func openModel(ctx context.Context, path string) (*sdk.Model, error) {
	models.Lock()
	defer models.Unlock()
	if m := models.byPath[path]; m != nil {
		return m, nil
	}
	data, err := readFile(ctx, path)
	if err != nil {
		return nil, err
	}
	m, err := sdk.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if models.byPath == nil {
		models.byPath = map[string]*sdk.Model{}
	}
	models.byPath[path] = m
	return m, nil
}

// readFile reads a whole file of a registered Beam filesystem.
func readFile(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
