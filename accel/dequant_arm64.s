//go:build arm64 && !noasm && gc

#include "textflag.h"

// The Go arm64 assembler has no mnemonics for FCVTL, SXTL (SSHLL #0),
// vector SCVTF or vector FMUL; they are written as WORDs, each with its
// instruction and registers beside it.

// func dequantF16NEON(dst *float32, src *uint16, n int)
TEXT ·dequantF16NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
f16loop:
	VLD1.P 16(R1), [V0.H8]
	WORD $0x0E217801 // FCVTL  V1.4S, V0.4H
	WORD $0x4E217802 // FCVTL2 V2.4S, V0.8H
	VST1.P [V1.S4, V2.S4], 32(R0)
	SUBS $8, R2, R2
	BNE f16loop
	RET

// func dequantInt8NEON(dst *float32, src *int8, scales *float32, rows, cols int)
TEXT ·dequantInt8NEON(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD scales+16(FP), R2
	MOVD rows+24(FP), R3
	MOVD cols+32(FP), R4
i8row:
	CBZ R3, i8done
	MOVD R2, R5
	MOVD R4, R6
i8col:
	VLD1.P 8(R1), [V0.B8]
	WORD $0x0F08A401 // SXTL   V1.8H, V0.8B
	WORD $0x0F10A422 // SXTL   V2.4S, V1.4H
	WORD $0x4F10A423 // SXTL2  V3.4S, V1.8H
	WORD $0x4E21D842 // SCVTF  V2.4S, V2.4S
	WORD $0x4E21D863 // SCVTF  V3.4S, V3.4S
	VLD1.P 32(R5), [V4.S4, V5.S4]
	WORD $0x6E24DC42 // FMUL   V2.4S, V2.4S, V4.4S
	WORD $0x6E25DC63 // FMUL   V3.4S, V3.4S, V5.4S
	VST1.P [V2.S4, V3.S4], 32(R0)
	SUBS $8, R6, R6
	BNE i8col
	SUB $1, R3, R3
	B i8row
i8done:
	RET
