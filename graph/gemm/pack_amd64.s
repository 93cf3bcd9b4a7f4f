//go:build amd64 && !purego

#include "textflag.h"

// TRANSPOSE8 transposes the 8×8 block held in rows Y0..Y7 into columns
// Y8..Y15 (column j in Y(8+j)). Y0..Y7 are clobbered.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// LOAD8 loads 8 floats from each of the rows base, base+ld, ..., base+7*ld,
// with DX = ld in bytes and R9 = 3*ld in bytes.
#define LOAD8(base, base5) \
	VMOVUPS (base), Y0; \
	VMOVUPS (base)(DX*1), Y1; \
	VMOVUPS (base)(DX*2), Y2; \
	VMOVUPS (base)(R9*1), Y3; \
	VMOVUPS (base)(DX*4), Y4; \
	VMOVUPS (base5), Y5; \
	VMOVUPS (base5)(DX*1), Y6; \
	VMOVUPS (base5)(DX*2), Y7

// STORE8 stores columns Y8..Y15 to dst+off, dst+64+off, ..., dst+7*64+off.
#define STORE8(off) \
	VMOVUPS Y8, (0+off)(DI); \
	VMOVUPS Y9, (64+off)(DI); \
	VMOVUPS Y10, (128+off)(DI); \
	VMOVUPS Y11, (192+off)(DI); \
	VMOVUPS Y12, (256+off)(DI); \
	VMOVUPS Y13, (320+off)(DI); \
	VMOVUPS Y14, (384+off)(DI); \
	VMOVUPS Y15, (448+off)(DI)

// func transposePanel16(kc8 int, src *float32, ld int, dst *float32)
// Packs 16 rows of src, spaced ld floats apart, so that dst[p*16+i] =
// src[i*ld+p] for p < kc8. kc8 must be a multiple of 8. Needs AVX.
TEXT ·transposePanel16(SB), NOSPLIT, $0-32
	MOVQ kc8+0(FP), CX
	MOVQ src+8(FP), R8
	MOVQ ld+16(FP), DX
	MOVQ dst+24(FP), DI
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R9  // 3*ld
	LEAQ (R8)(DX*4), R10 // row 4
	ADDQ DX, R10         // row 5
	LEAQ (R8)(DX*8), R11 // row 8
	LEAQ (R11)(DX*4), R12
	ADDQ DX, R12         // row 13

transposeLoop:
	CMPQ CX, $8
	JL   transposeDone
	LOAD8(R8, R10)
	TRANSPOSE8
	STORE8(0)
	LOAD8(R11, R12)
	TRANSPOSE8
	STORE8(32)
	ADDQ $32, R8
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $512, DI
	SUBQ $8, CX
	JMP  transposeLoop

transposeDone:
	VZEROUPPER
	RET

// func copyPanels16(kc int, src *float32, ld int, dst *float32, panels, prefetch int)
// Packs a kc×(16*panels) block of src (row stride ld floats) into panels
// contiguous kc×16 panels at dst. Rows are read in order, which the hardware
// prefetchers follow better than a column of 64-byte pieces. Needs AVX.
TEXT ·copyPanels16(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ panels+32(FP), R8
	SHLQ $2, DX
	MOVQ CX, R9
	SHLQ $6, R9 // bytes of one panel: kc*64
	MOVQ prefetch+40(FP), R13
	IMULQ DX, R13 // prefetch distance in bytes

rowLoop:
	TESTQ CX, CX
	JE    rowsDone
	MOVQ SI, R10 // source of the next piece
	MOVQ DI, R11 // destination of the next piece
	MOVQ R8, R12 // pieces left in this row

pieceLoop:
	PREFETCHT0 (R10)(R13*1)
	VMOVUPS (R10), Y0
	VMOVUPS 32(R10), Y1
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	ADDQ $64, R10
	ADDQ R9, R11
	DECQ R12
	JNE  pieceLoop

	ADDQ DX, SI
	ADDQ $64, DI
	DECQ CX
	JMP  rowLoop

rowsDone:
	VZEROUPPER
	RET
