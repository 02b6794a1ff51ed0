package ais

// payload holds a de-armoured AIS payload as a bit string, most significant
// bit first. It is sized for the longest message (5 fragments of 82 bytes is
// far more than any AIS message needs; the limit is MaxPayloadBits).
type payload struct {
	b    [MaxPayloadBits/8 + 8]byte
	nbit int
}

// MaxPayloadBits is the longest payload decoded: 1008 bits, the maximum
// of a five-slot AIS transmission rounded up, beyond every message type.
const MaxPayloadBits = 1008

// armour maps an armoured payload character to its 6-bit value, or 0xff
// for a character outside the armouring alphabet ('0'..'W' and '`'..'w').
var armour = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= 'W'; c++ {
		t[c] = byte(c - '0')
	}
	for c := '`'; c <= 'w'; c++ {
		t[c] = byte(c - '0' - 8)
	}
	return t
}()

// appendArmoured appends the 6-bit values of s, dropping fill bits from
// the end when fill > 0. It reports false for a character outside the
// armouring alphabet or a payload over MaxPayloadBits.
func (p *payload) appendArmoured(s []byte, fill int) bool {
	if p.nbit+6*len(s) > MaxPayloadBits {
		return false
	}
	for _, c := range s {
		v := armour[c]
		if v == 0xff {
			return false
		}
		// write 6 bits at p.nbit
		pos := p.nbit
		w := uint16(v) << (10 - pos%8) // 6 bits aligned into 16
		p.b[pos/8] |= byte(w >> 8)
		p.b[pos/8+1] |= byte(w)
		p.nbit += 6
	}
	fill = min(fill, p.nbit)
	for i := p.nbit - fill; i < p.nbit; i++ {
		p.b[i/8] &^= 0x80 >> (i % 8) // fill bits read as zero
	}
	p.nbit -= fill
	return true
}

func (p *payload) reset() {
	n := (p.nbit + 7) / 8
	clear(p.b[:n+2])
	p.nbit = 0
}

// u returns the unsigned field of width n (at most 32) at bit offset off.
// Bits past the end of the payload read as zero.
func (p *payload) u(off, n int) uint32 {
	var v uint64
	// read 5 bytes covering off..off+n (n <= 32, so at most 40 bits span 5 bytes)
	i := off / 8
	for k := 0; k < 5; k++ {
		v = v<<8 | uint64(p.at(i+k))
	}
	shift := 40 - (off%8 + n)
	return uint32(v>>uint(shift)) & (1<<uint(n) - 1)
}

// at returns byte i; the buffer is zero past the payload.
func (p *payload) at(i int) byte {
	if i < len(p.b) {
		return p.b[i]
	}
	return 0
}

// s returns the two's-complement signed field of width n at off.
func (p *payload) s(off, n int) int32 {
	v := p.u(off, n)
	if v&(1<<uint(n-1)) != 0 {
		return int32(v) - int32(1<<uint(n))
	}
	return int32(v)
}

// text returns the 6-bit ASCII string of nchars characters at off, with
// trailing '@' padding and spaces removed.
func (p *payload) text(off, nchars int) string {
	var buf [64]byte
	n := 0
	for i := 0; i < nchars && n < len(buf); i++ {
		c := byte(p.u(off+6*i, 6))
		if c < 32 {
			c += 64
		}
		buf[n] = c
		n++
	}
	// cut at the first '@' (padding), then trim trailing spaces
	for i := 0; i < n; i++ {
		if buf[i] == '@' {
			n = i
			break
		}
	}
	for n > 0 && buf[n-1] == ' ' {
		n--
	}
	return string(buf[:n])
}
