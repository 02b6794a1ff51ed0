package ais

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// bitWriter builds a payload field by field, most significant bit first.
type bitWriter struct{ bits []byte }

func (w *bitWriter) u(n int, v uint64) *bitWriter {
	for i := n - 1; i >= 0; i-- {
		w.bits = append(w.bits, byte(v>>uint(i))&1)
	}
	return w
}

func (w *bitWriter) s(n int, v int64) *bitWriter { return w.u(n, uint64(v)&(1<<uint(n)-1)) }

// text writes nchars 6-bit ASCII characters, padding with '@'. Lower-case
// letters are upper-cased; characters outside 6-bit ASCII become '?'.
func (w *bitWriter) text(nchars int, s string) *bitWriter {
	for i := 0; i < nchars; i++ {
		c := byte('@')
		if i < len(s) {
			c = s[i]
			if c >= 'a' && c <= 'z' {
				c -= 32
			}
			if c < 32 || c > 95 {
				c = '?'
			}
		}
		w.u(6, uint64(c&63))
	}
	return w
}

// armoured returns the armoured payload and its fill bits.
func (w *bitWriter) armoured() (string, int) {
	fill := (6 - len(w.bits)%6) % 6
	out := make([]byte, 0, (len(w.bits)+fill)/6)
	for i := 0; i < len(w.bits); i += 6 {
		v := 0
		for k := 0; k < 6; k++ {
			v <<= 1
			if i+k < len(w.bits) {
				v |= int(w.bits[i+k])
			}
		}
		c := byte(v + '0')
		if v >= 40 {
			c += 8
		}
		out = append(out, c)
	}
	return string(out), fill
}

// Encode encodes a message of type 1, 2, 3, 5, 18 or 24 into an armoured
// payload and its fill bits, the inverse of Decode: absent values are
// written as their "not available" sentinels, and values are rounded to
// the field's resolution.
func Encode(m *Message) (payload string, fill int, err error) {
	w := &bitWriter{}
	w.u(6, uint64(m.Type)).u(2, uint64(m.Repeat)).u(30, uint64(m.MMSI))
	lon, lat := int64(181*600000), int64(91*600000)
	if m.HasPosition() {
		lon, lat = int64(math.Round(m.Lon.V*600000)), int64(math.Round(m.Lat.V*600000))
	}
	switch m.Type {
	case 1, 2, 3:
		w.u(4, optU(m.NavStatus, 15)).s(8, encodeROT(m.ROT)).u(10, encodeSOG(m.SOG)).u(1, b2u(m.Accuracy)).
			s(28, lon).s(27, lat).u(12, encodeCOG(m.COG)).u(9, optU(m.Heading, 511)).u(6, optU(m.Second, 60)).
			u(2, uint64(m.Maneuver)).u(3, 0).u(1, b2u(m.RAIM)).u(19, 0)
	case 18:
		w.u(8, 0).u(10, encodeSOG(m.SOG)).u(1, b2u(m.Accuracy)).s(28, lon).s(27, lat).u(12, encodeCOG(m.COG)).
			u(9, optU(m.Heading, 511)).u(6, optU(m.Second, 60)).u(2, 0).u(1, 1).u(1, 0).u(1, 1).u(1, 1).u(1, 0).u(1, 0).
			u(1, b2u(m.RAIM)).u(20, 0)
	case 5:
		eta := m.ETA
		month, day, hour, minute := uint64(0), uint64(0), uint64(24), uint64(60)
		if eta.Valid {
			month, day, hour, minute = uint64(eta.Month), uint64(eta.Day), uint64(eta.Hour), uint64(eta.Minute)
		}
		draught := uint64(0)
		if m.Draught.Valid {
			draught = uint64(min(255, math.Round(m.Draught.V*10)))
		}
		var imo uint64
		if m.IMO.Valid {
			imo = uint64(m.IMO.V)
		}
		w.u(2, 0).u(30, imo).text(7, m.CallSign).text(20, m.Name).u(8, optU(m.ShipType, 0))
		encodeDims(w, m)
		w.u(4, uint64(m.EPFD)).u(4, month).u(5, day).u(5, hour).u(6, minute).u(8, draught).
			text(20, m.Destination).u(1, 0).u(1, 0)
	case 24:
		w.u(2, uint64(m.PartNum))
		switch m.PartNum {
		case 0:
			w.text(20, m.Name).u(8, 0)
		case 1:
			w.u(8, optU(m.ShipType, 0)).text(3, m.VendorID).u(4, 0).u(20, 0).text(7, m.CallSign)
			encodeDims(w, m)
			w.u(6, 0)
		default:
			return "", 0, fmt.Errorf("ais: encode type 24 part %d", m.PartNum)
		}
	default:
		return "", 0, fmt.Errorf("ais: encode type %d is not supported", m.Type)
	}
	payload, fill = w.armoured()
	return payload, fill, nil
}

func encodeDims(w *bitWriter, m *Message) {
	w.u(9, min(511, optU(m.ToBow, 0))).u(9, min(511, optU(m.ToStern, 0))).
		u(6, min(63, optU(m.ToPort, 0))).u(6, min(63, optU(m.ToStarboard, 0)))
}

func optU(o Opt[int], na uint64) uint64 {
	if !o.Valid || o.V < 0 {
		return na
	}
	return uint64(o.V)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func encodeSOG(v Opt[float64]) uint64 {
	if !v.Valid {
		return 1023
	}
	return uint64(max(0, min(1022, math.Round(v.V*10))))
}

func encodeCOG(v Opt[float64]) uint64 {
	if !v.Valid {
		return 3600
	}
	c := math.Mod(v.V, 360)
	if c < 0 {
		c += 360
	}
	return uint64(math.Round(c*10)) % 3600
}

// encodeROT inverts rot: raw = sign·4.733·sqrt(|ROT|), clamped to ±126.
func encodeROT(v Opt[float64]) int64 {
	if !v.Valid {
		return -128
	}
	r := 4.733 * math.Sqrt(math.Abs(v.V))
	return int64(math.Copysign(min(126, math.Round(r)), v.V))
}

// SentenceOptions controls how AppendSentences frames a payload.
type SentenceOptions struct {
	Talker  string    // default "AI"
	Channel byte      // default 'A'
	SeqID   int       // 0..9, used for multi-fragment messages
	Time    time.Time // when set, a tag block c:<unix seconds> precedes the first sentence
	Source  string    // when set, the tag block also names the source station (s:)
}

// maxFragment is the payload characters per sentence, keeping each
// sentence within NMEA's 82-character limit.
const maxFragment = 60

// AppendSentences appends the NMEA sentences (each ending in "\n") that
// carry payload, split into fragments of at most 60 characters, with
// checksums and an optional NMEA 4.10 tag block.
func AppendSentences(dst []byte, payload string, fill int, opt SentenceOptions) []byte {
	if opt.Talker == "" {
		opt.Talker = "AI"
	}
	if opt.Channel == 0 {
		opt.Channel = 'A'
	}
	n := max(1, (len(payload)+maxFragment-1)/maxFragment)
	for i := 0; i < n; i++ {
		frag := payload[i*maxFragment : min(len(payload), (i+1)*maxFragment)]
		if tagged := !opt.Time.IsZero() || opt.Source != ""; tagged && (i == 0 || n > 1) {
			var tb []byte
			if n > 1 { // group the fragments: g:<sentence>-<total>-<group id>
				tb = fmt.Appendf(tb, "g:%d-%d-%d", i+1, n, opt.SeqID)
			}
			// only the first sentence carries source and time
			if i == 0 && opt.Source != "" {
				if len(tb) > 0 {
					tb = append(tb, ',')
				}
				tb = append(tb, "s:"...)
				tb = append(tb, opt.Source...)
			}
			if i == 0 && !opt.Time.IsZero() {
				if len(tb) > 0 {
					tb = append(tb, ',')
				}
				tb = append(tb, "c:"...)
				tb = strconv.AppendInt(tb, opt.Time.Unix(), 10)
			}
			dst = append(dst, '\\')
			dst = append(dst, tb...)
			dst = append(dst, '*')
			dst = appendHex(dst, xorSum(tb))
			dst = append(dst, '\\')
		}
		start := len(dst)
		dst = append(dst, '!')
		dst = append(dst, opt.Talker...)
		dst = append(dst, "VDM,"...)
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(i+1), 10)
		dst = append(dst, ',')
		if n > 1 {
			dst = strconv.AppendInt(dst, int64(opt.SeqID%10), 10)
		}
		dst = append(dst, ',', opt.Channel, ',')
		dst = append(dst, frag...)
		dst = append(dst, ',')
		f := 0
		if i == n-1 {
			f = fill
		}
		dst = strconv.AppendInt(dst, int64(f), 10)
		sum := xorSum(dst[start+1:])
		dst = append(dst, '*')
		dst = appendHex(dst, sum)
		dst = append(dst, '\n')
	}
	return dst
}

func appendHex(dst []byte, b byte) []byte {
	const hex = "0123456789ABCDEF"
	return append(dst, hex[b>>4], hex[b&15])
}
