package dataset

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// quadrantColors are the four areas of a 64x48 test picture: red and lime on top, blue and yellow below.
var quadrantColors = [4]color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 0, 255}}

func quadrantImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			q := 0
			if x >= 32 {
				q++
			}
			if y >= 24 {
				q += 2
			}
			img.SetNRGBA(x, y, quadrantColors[q])
		}
	}
	return img
}

func encodeWith(t *testing.T, encode func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// halfAlpha returns a 32x32 image whose left half is opaque red and whose right half is red at the given alpha.
func halfAlpha[T image.Image](newImage func(image.Rectangle) T, set func(T, int, int, uint8)) T {
	img := newImage(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			alpha := uint8(255)
			if x >= 16 {
				alpha = 64
			}
			set(img, x, y, alpha)
		}
	}
	return img
}

func TestDecodeFormats(t *testing.T) {
	const tolLossyWebP = 4.0 / 255 // lossy WebP at quality 95 inside flat colour areas, measured at up to 1/255
	// Red at alpha 64/255 composited on white: R = 1, G = B = 1 - 64/255.
	blend := float32(1 - 64.0/255)
	halfRGBA64 := halfAlpha(image.NewNRGBA64, func(m *image.NRGBA64, x, y int, a uint8) {
		m.SetNRGBA64(x, y, color.NRGBA64{0xFFFF, 0, 0, uint16(a) * 0x101})
	})

	gray16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	for i := range gray16.Pix {
		gray16.Pix[i] = 0x40 // every sample 0x4040
	}
	gray := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}

	transparentGIF := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.RGBA{0, 0, 0, 0}, color.RGBA{0, 0, 255, 255}})
	for i := range transparentGIF.Pix {
		transparentGIF.Pix[i] = uint8(i % 2)
	}

	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		w, h   int
		pixels []pixelWant
	}{
		{"GIF", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error {
				return gif.Encode(b, quadrantImage(), &gif.Options{NumColors: 256, Quantizer: nil})
			})
		}, 64, 48, quadrants(tolExact)},
		{"GIF transparent index is white", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error { return gif.Encode(b, transparentGIF, nil) })
		}, 8, 8, []pixelWant{{0, 0, [3]float32{1, 1, 1}, tolExact}, {1, 0, [3]float32{0, 0, 1}, tolExact}}},
		{"BMP", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error { return bmp.Encode(b, quadrantImage()) })
		}, 64, 48, quadrants(tolExact)},
		{"TIFF 8-bit RGBA", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error { return tiff.Encode(b, quadrantImage(), nil) })
		}, 64, 48, quadrants(tolExact)},
		{"TIFF 16-bit gray", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error { return tiff.Encode(b, gray16, nil) })
		}, 4, 4, everyPixel(4, 4, [3]float32{0x4040 / 65535.0, 0x4040 / 65535.0, 0x4040 / 65535.0}, tolExact)},
		{"TIFF 16-bit with alpha", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error { return tiff.Encode(b, halfRGBA64, nil) })
		}, 32, 32, []pixelWant{{0, 0, [3]float32{1, 0, 0}, tolExact}, {31, 31, [3]float32{1, blend, blend}, tolExact}}},
		{"PNG 16-bit with alpha", func(t *testing.T) []byte {
			return encodePNG(t, halfRGBA64)
		}, 32, 32, []pixelWant{{0, 0, [3]float32{1, 0, 0}, tolExact}, {31, 31, [3]float32{1, blend, blend}, tolExact}}},
		{"PNG 8-bit gray", func(t *testing.T) []byte {
			return encodePNG(t, gray)
		}, 16, 16, everyPixel(16, 16, [3]float32{77.0 / 255, 77.0 / 255, 77.0 / 255}, tolExact)},
		{"JPEG gray", func(t *testing.T) []byte {
			return encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, &jpeg.Options{Quality: 100}) })
		}, 16, 16, everyPixel(16, 16, [3]float32{77.0 / 255, 77.0 / 255, 77.0 / 255}, tolJPEG)},
		{"WebP lossy", func(t *testing.T) []byte {
			return readTestdata(t, "quadrants_lossy.webp")
		}, 64, 48, quadrants(tolLossyWebP)},
		{"WebP lossless with alpha", func(t *testing.T) []byte {
			return readTestdata(t, "half_transparent_lossless.webp")
		}, 32, 32, []pixelWant{{0, 0, [3]float32{1, 0, 0}, tolExact}, {31, 31, [3]float32{1, 1, 1}, tolExact}}},
		{"WebP lossy with alpha", func(t *testing.T) []byte {
			return readTestdata(t, "half_transparent_lossy.webp")
		}, 32, 32, []pixelWant{{4, 4, [3]float32{1, 0, 0}, tolLossyWebP}, {28, 28, [3]float32{1, 1, 1}, tolLossyWebP}}},
		{"WebP with EXIF orientation 6", func(t *testing.T) []byte {
			return readTestdata(t, "red_blue_orientation6.webp")
		}, 32, 64, []pixelWant{{16, 16, [3]float32{1, 0, 0}, tolLossyWebP}, {16, 48, [3]float32{0, 0, 1}, tolLossyWebP}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "image.bin", tc.data(t))
			im, err := Decode(path, 3)
			if err != nil {
				t.Fatalf("Decode: got error %v, want an image", err)
			}
			if im.W != tc.w || im.H != tc.h || im.C != 3 {
				t.Fatalf("shape: got C=%d W=%d H=%d, want C=3 W=%d H=%d", im.C, im.W, im.H, tc.w, tc.h)
			}
			for _, p := range tc.pixels {
				got := pixelAt(im, p.x, p.y)
				if d := maxAbsDiff(got, p.rgb[:]); d > p.tol {
					t.Errorf("pixel (%d, %d): got %v, want %v within %.4f", p.x, p.y, got, p.rgb, p.tol)
				}
			}
		})
	}
}

// TestDecodeWebPMatchesLibwebp compares the decoded lossy WebP with the RGB output of
// libwebp's dwebp -nofancy, which upsamples chroma by repetition as Go's image.YCbCr does.
func TestDecodeWebPMatchesLibwebp(t *testing.T) {
	const tol = 1.0 / 255 // integer rounding in libwebp's conversion, measured at 0.4/255
	got, err := Decode(filepath.Join("testdata", "quadrants_lossy.webp"), 3)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(filepath.Join("testdata", "quadrants_lossy.dwebp.png"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(got.Pix, want.Pix); d > tol {
		t.Errorf("pixels: got max difference %.4f (%.1f/255) from libwebp, want at most %.4f", d, d*255, tol)
	}
}

// blockColors are the six stored blocks A B C (top) and D E F (bottom) of the orientation test picture.
var blockColors = map[byte][3]uint8{
	'A': {255, 0, 0}, 'B': {0, 255, 0}, 'C': {0, 0, 255},
	'D': {255, 255, 0}, 'E': {255, 0, 255}, 'F': {0, 255, 255},
}

// blockImage draws the stored picture: 3 x 2 blocks of 16x16 pixels.
func blockImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	rows := []string{"ABC", "DEF"}
	for y := 0; y < 32; y++ {
		for x := 0; x < 48; x++ {
			c := blockColors[rows[y/16][x/16]]
			img.SetRGBA(x, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	return img
}

// orientationWant is how a photo viewer shows the stored blocks "ABC/DEF" for each EXIF
// Orientation value, written out by hand from the tag's definition.
var orientationWant = map[int][]string{
	1: {"ABC", "DEF"},
	2: {"CBA", "FED"},     // mirrored left to right
	3: {"FED", "CBA"},     // rotated 180 degrees
	4: {"DEF", "ABC"},     // mirrored top to bottom
	5: {"AD", "BE", "CF"}, // transposed
	6: {"DA", "EB", "FC"}, // rotated 90 degrees clockwise
	7: {"FC", "EB", "DA"}, // transversed
	8: {"CF", "BE", "AD"}, // rotated 90 degrees counterclockwise
	0: {"ABC", "DEF"},     // invalid value: as stored
	9: {"ABC", "DEF"},     // invalid value: as stored
}

// exifBlock returns a TIFF structure whose first IFD contains only the Orientation tag.
func exifBlock(order binary.ByteOrder, orientation int) []byte {
	b := make([]byte, 26)
	if order == binary.LittleEndian {
		copy(b, "II")
	} else {
		copy(b, "MM")
	}
	order.PutUint16(b[2:], 42)
	order.PutUint32(b[4:], 8) // first IFD
	order.PutUint16(b[8:], 1) // one entry
	order.PutUint16(b[10:], 0x0112)
	order.PutUint16(b[12:], 3) // SHORT
	order.PutUint32(b[14:], 1) // count
	order.PutUint16(b[18:], uint16(orientation))
	return b // next IFD offset 0
}

// jpegWithExif inserts an APP1 Exif segment after the SOI marker.
func jpegWithExif(jpg, tiffData []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiffData...)
	segment := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(segment[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, segment...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// pngWithExif inserts an eXIf chunk after the IHDR chunk (8-byte signature, 25-byte IHDR).
func pngWithExif(pngData, tiffData []byte) []byte {
	chunk := make([]byte, 8, 12+len(tiffData))
	binary.BigEndian.PutUint32(chunk, uint32(len(tiffData)))
	copy(chunk[4:], "eXIf")
	chunk = append(chunk, tiffData...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, pngData[:33]...)
	out = append(out, chunk...)
	return append(out, pngData[33:]...)
}

// uncompressedTIFF writes a one-strip, uncompressed, big-endian TIFF with 8-bit samples.
// photometric is 2 for RGB or 5 for CMYK; orientation 0 leaves the tag out.
func uncompressedTIFF(w, h, samples int, photometric uint16, pix []byte, orientation int) []byte {
	be := binary.BigEndian
	type entry struct {
		tag, kind uint16
		count     uint32
		value     uint32
	}
	bitsOffset := 8 + len(pix)
	ifdOffset := bitsOffset + 2*samples
	entries := []entry{
		{256, 4, 1, uint32(w)},
		{257, 4, 1, uint32(h)},
		{258, 3, uint32(samples), uint32(bitsOffset)},
		{259, 3, 1, 1 << 16}, // no compression; SHORT values sit in the high half of a big-endian field
		{262, 3, 1, uint32(photometric) << 16},
		{273, 4, 1, 8},
	}
	if orientation != 0 {
		entries = append(entries, entry{274, 3, 1, uint32(orientation) << 16})
	}
	entries = append(entries,
		entry{277, 3, 1, uint32(samples) << 16},
		entry{278, 4, 1, uint32(h)},
		entry{279, 4, 1, uint32(len(pix))},
	)

	out := []byte("MM\x00\x2a")
	out = be.AppendUint32(out, uint32(ifdOffset))
	out = append(out, pix...)
	for i := 0; i < samples; i++ {
		out = be.AppendUint16(out, 8)
	}
	out = be.AppendUint16(out, uint16(len(entries)))
	for _, e := range entries {
		out = be.AppendUint16(out, e.tag)
		out = be.AppendUint16(out, e.kind)
		out = be.AppendUint32(out, e.count)
		out = be.AppendUint32(out, e.value)
	}
	return be.AppendUint32(out, 0)
}

func TestDecodeOrientation(t *testing.T) {
	stored := blockImage()
	pngData := encodePNG(t, stored)
	jpgData := encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, stored, &jpeg.Options{Quality: 100}) })
	rgb := make([]byte, 0, 48*32*3)
	for i := 0; i < len(stored.Pix); i += 4 {
		rgb = append(rgb, stored.Pix[i:i+3]...)
	}

	containers := []struct {
		name  string
		build func(orientation int) []byte
		tol   float64
	}{
		{"PNG eXIf big-endian", func(o int) []byte { return pngWithExif(pngData, exifBlock(binary.BigEndian, o)) }, tolExact},
		{"PNG eXIf little-endian", func(o int) []byte { return pngWithExif(pngData, exifBlock(binary.LittleEndian, o)) }, tolExact},
		{"JPEG APP1", func(o int) []byte { return jpegWithExif(jpgData, exifBlock(binary.BigEndian, o)) }, tolJPEG},
		{"TIFF tag", func(o int) []byte { return uncompressedTIFF(48, 32, 3, 2, rgb, o) }, tolExact},
	}
	for _, container := range containers {
		for orientation, rows := range orientationWant {
			t.Run(container.name+"/"+string(rune('0'+orientation)), func(t *testing.T) {
				path := writeFile(t, t.TempDir(), "image", container.build(orientation))
				im, err := Decode(path, 3)
				if err != nil {
					t.Fatal(err)
				}
				if wantW, wantH := 16*len(rows[0]), 16*len(rows); im.W != wantW || im.H != wantH {
					t.Fatalf("size: got %dx%d, want %dx%d", im.W, im.H, wantW, wantH)
				}
				for by, row := range rows {
					for bx := range row {
						c := blockColors[row[bx]]
						want := []float32{float32(c[0]) / 255, float32(c[1]) / 255, float32(c[2]) / 255}
						got := pixelAt(im, 16*bx+8, 16*by+8)
						if d := maxAbsDiff(got, want); d > container.tol {
							t.Errorf("block (%d, %d): got %v, want %c %v within %.4f", bx, by, got, row[bx], want, container.tol)
						}
					}
				}
			})
		}
	}
}

func TestDecodeBadData(t *testing.T) {
	good := encodePNG(t, solidRGBA(8, 8, 1, 2, 3))
	badCRC := append([]byte{}, good...)
	badCRC[len(badCRC)-20] ^= 0xFF // inside the IDAT chunk
	hugePNG := append([]byte{}, good...)
	binary.BigEndian.PutUint32(hugePNG[16:], 100000) // IHDR width
	binary.BigEndian.PutUint32(hugePNG[20:], 100000) // IHDR height
	binary.BigEndian.PutUint32(hugePNG[29:], crc32.ChecksumIEEE(hugePNG[12:29]))
	jpg := encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, solidRGBA(64, 64, 9, 9, 9), nil) })
	gifData := encodeWith(t, func(b *bytes.Buffer) error {
		return gif.Encode(b, image.NewPaletted(image.Rect(0, 0, 32, 32), palette.Plan9), nil)
	})
	bmpData := encodeWith(t, func(b *bytes.Buffer) error { return bmp.Encode(b, solidRGBA(32, 32, 1, 2, 3)) })
	webpData := readTestdata(t, "quadrants_lossy.webp")
	cmyk := uncompressedTIFF(2, 2, 4, 5, make([]byte, 16), 0)

	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"empty", nil, "empty file (0 bytes)"},
		{"text", []byte("hello, this is not a picture\n"), "not an image"},
		{"HEIC", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 32)...), `unsupported format: ISO media file with brand "heic"`},
		{"PNG truncated", good[:len(good)/2], "truncated PNG file"},
		{"PNG bad checksum", badCRC, "invalid PNG data"},
		{"PNG header claims 10 gigapixels", hugePNG, "over the limit"},
		{"JPEG truncated in scan", jpg[:len(jpg)-40], "JPEG"},
		{"JPEG magic then garbage", append([]byte{0xFF, 0xD8, 0xFF}, bytes.Repeat([]byte{0x42}, 100)...), "invalid JPEG data"},
		{"GIF truncated", gifData[:len(gifData)/2], "GIF"},
		{"BMP truncated", bmpData[:len(bmpData)/2], "truncated BMP file"},
		{"WebP truncated", webpData[:len(webpData)/2], "WebP"},
		{"TIFF CMYK unsupported by x/image/tiff", cmyk, "invalid TIFF data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "bad.jpg", tc.data)
			im, err := Decode(path, 3)
			if err == nil {
				t.Fatalf("Decode: got a %dx%d image, want an error", im.W, im.H)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error: got %q, want it to contain %q", err, tc.reason)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error: got %q, want it to name %s", err, path)
			}
		})
	}
}

func TestDecodeInvalidArguments(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		channels int
		reason   string
	}{
		{"channels 4", "x.png", 4, "channels 4 is invalid"},
		{"channels 0", "x.png", 0, "channels 0 is invalid"},
		{"missing file", filepath.Join(t.TempDir(), "missing.png"), 3, "cannot read file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.path, tc.channels)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error: got %v, want one containing %q", err, tc.reason)
			}
		})
	}
}

func TestExifOrientationMalformed(t *testing.T) {
	valid := exifBlock(binary.BigEndian, 6)
	long := append([]byte{}, valid...)
	binary.BigEndian.PutUint16(long[12:], 4) // LONG
	binary.BigEndian.PutUint32(long[18:], 6)
	farIFD := append([]byte{}, valid...)
	binary.BigEndian.PutUint32(farIFD[4:], 1<<30)
	manyEntries := append([]byte{}, valid...)
	binary.BigEndian.PutUint16(manyEntries[8:], 0xFFFF)

	tests := []struct {
		name string
		tiff []byte
		want int
	}{
		{"valid", valid, 6},
		{"LONG type", long, 6},
		{"IFD offset past the end", farIFD, 1},
		{"entry count past the end", manyEntries[:20], 1},
		{"bad byte order", append([]byte("XX"), valid[2:]...), 1},
		{"too short", valid[:6], 1},
		{"empty", nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tiffOrientation(tc.tiff); got != tc.want {
				t.Errorf("tiffOrientation: got %d, want %d", got, tc.want)
			}
		})
	}

	t.Run("JPEG segment length past the end", func(t *testing.T) {
		data := []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'}
		if got := exifOrientation(formatJPEG, data); got != 1 {
			t.Errorf("exifOrientation: got %d, want 1", got)
		}
	})
	t.Run("PNG chunk length past the end", func(t *testing.T) {
		data := append([]byte("\x89PNG\r\n\x1a\n"), 0x7F, 0xFF, 0xFF, 0xFF, 'e', 'X', 'I', 'f')
		if got := exifOrientation(formatPNG, data); got != 1 {
			t.Errorf("exifOrientation: got %d, want 1", got)
		}
	})
}

// FuzzDecodeBytes checks that no input makes the decoders panic or return an image without pixels.
func FuzzDecodeBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodePNG(f, solidRGBA(3, 2, 1, 2, 3)))
	f.Add(jpegWithExif([]byte{0xFF, 0xD8, 0xFF, 0xD9}, exifBlock(binary.BigEndian, 6)))
	f.Add(uncompressedTIFF(1, 1, 3, 2, []byte{1, 2, 3}, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := decodeBytes(data)
		if err != nil {
			return
		}
		if src.W <= 0 || src.H <= 0 {
			t.Fatalf("size: got %dx%d, want a positive size", src.W, src.H)
		}
		im := src.toImage(3)
		if len(im.Pix) != 3*im.W*im.H {
			t.Fatalf("len(Pix): got %d, want %d", len(im.Pix), 3*im.W*im.H)
		}
	})
}
