package sim

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Tracks runs the simulation through its NMEA encoding and decoding (so
// positions carry AIS resolution, as real data does) and returns the
// vessels' tracks in MMSI order.
func (f *Fleet) Tracks() ([]*trajectory.Track, error) {
	var buf bytes.Buffer
	if _, err := f.WriteNMEA(&buf); err != nil {
		return nil, err
	}
	pr, err := ais.OpenPositions(&buf, ais.Options{})
	if err != nil {
		return nil, err
	}
	return trajectory.Collect(pr)
}

// WriteNMEA runs the simulation and writes every message as NMEA
// sentences with a tag block (source and unix receive time). It returns
// the number of messages written.
func (f *Fleet) WriteNMEA(w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	n, seq := 0, 0
	var buf []byte
	err := f.Run(func(m *ais.Message) error {
		p, fill, err := ais.Encode(m)
		if err != nil {
			return err
		}
		channel := byte('A' + n%2)
		buf = ais.AppendSentences(buf[:0], p, fill, ais.SentenceOptions{Channel: channel, SeqID: seq, Time: m.Time, Source: f.cfg.Source})
		if len(p) > 60 {
			seq = (seq + 1) % 10
		}
		n++
		_, err = bw.Write(buf)
		return err
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// WriteMarineCadastre runs the simulation and writes the position reports
// as MarineCadastre CSV rows, each with the vessel's latest static data. It
// returns the number of rows.
func (f *Fleet) WriteMarineCadastre(w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(ais.MarineCadastreHeader); err != nil {
		return 0, err
	}
	tr := ais.NewTracker()
	n := 0
	err := f.Run(func(m *ais.Message) error {
		p, ok := tr.Update(m)
		if !ok {
			return nil
		}
		n++
		return cw.Write(ais.MarineCadastreRecord(&p))
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}
