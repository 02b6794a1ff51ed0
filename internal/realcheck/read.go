package realcheck

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/portolan-sdk/portolan/internal/feed"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// ReadTracks reads every position of an AIS file (any input the portolan
// command reads: NMEA or CSV, plain or compressed) into tracks. With step
// > 0 the file is NMEA without receive times, such as a receiver's capture:
// its lines are given times step apart in file order from start.
func ReadTracks(path string, start time.Time, step time.Duration) ([]*trajectory.Track, error) {
	in, err := feed.Open(path, nil)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return trajectory.Collect(&streams{in: in, start: start, step: step})
}

// streams reads the positions of each stream of an input in turn.
type streams struct {
	in    *feed.Input
	cur   ais.PositionReader
	start time.Time
	step  time.Duration
}

func (s *streams) Next() (*ais.Position, error) {
	for {
		if s.cur == nil {
			st, err := s.in.Next()
			if err != nil {
				return nil, err // io.EOF at the end
			}
			r := st.R
			if s.step > 0 {
				r = stamped(r, s.start, s.step)
			}
			if s.cur, err = ais.OpenPositions(r, ais.Options{}); err != nil {
				return nil, fmt.Errorf("%s: %w", st.Name, err)
			}
		}
		p, err := s.cur.Next()
		if err == io.EOF {
			s.cur = nil
			continue
		}
		return p, err
	}
}

// stamped prefixes each line of r with a unix time in milliseconds: start,
// then step more on each line.
func stamped(r io.Reader, start time.Time, step time.Duration) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		w := bufio.NewWriter(pw)
		for at := start; sc.Scan(); at = at.Add(step) {
			w.WriteString(strconv.FormatInt(at.UnixMilli(), 10))
			w.WriteByte(' ')
			w.Write(sc.Bytes())
			w.WriteByte('\n')
		}
		err := sc.Err()
		if err == nil {
			err = w.Flush()
		}
		pw.CloseWithError(err)
	}()
	return pr
}
