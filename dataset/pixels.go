package dataset

import (
	"image"
	"image/color"
)

// pixelSource reads a decoded image in display orientation (EXIF orientation applied) as float32
// samples in [0, 1], one row segment at a time, so that no full-size float copy is ever made.
//
// Transparency rule: every pixel is composited on white, out = alpha*colour + (1-alpha).
type pixelSource struct {
	img    image.Image
	packed *packedImage // set instead of img for images from the cache

	// W and H are the display size, which swaps the stored width and height for orientations 5 to 8.
	W, H int
	// channels is 1 for grayscale sources (Gray, Gray16, grayscale cache entries) and 3 otherwise.
	channels int

	// Display pixel (x, y) is stored pixel (ax*x + ay*y + a0, bx*x + by*y + b0).
	ax, ay, a0, bx, by, b0 int

	// palette contains 3 composited samples per palette index, for *image.Paletted.
	palette []float32
	// limitedRange marks YCbCr with Y in 16..235 and chroma in 16..240 (ITU-R BT.601 "studio
	// swing"), which lossy WebP stores, as opposed to JPEG's full range.
	limitedRange bool
}

// newPixelSource wraps a decoded image. orientation is the EXIF Orientation value; values
// outside 1..8 mean 1, the image as stored.
func newPixelSource(img image.Image, orientation int) *pixelSource {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := &pixelSource{img: img, W: w, H: h, channels: 3}

	// Each case maps display (x, y) to stored coordinates for one value of the EXIF Orientation tag (0x0112).
	switch orientation {
	case 2: // mirrored left to right
		p.ax, p.a0, p.by = -1, w-1, 1
	case 3: // rotated 180 degrees
		p.ax, p.a0, p.by, p.b0 = -1, w-1, -1, h-1
	case 4: // mirrored top to bottom
		p.ax, p.by, p.b0 = 1, -1, h-1
	case 5: // transposed: mirrored left to right, then rotated 90 degrees counterclockwise
		p.ay, p.bx = 1, 1
	case 6: // rotated 90 degrees clockwise for display
		p.ay, p.bx, p.b0 = 1, -1, h-1
	case 7: // transversed: mirrored left to right, then rotated 90 degrees clockwise
		p.ay, p.a0, p.bx, p.b0 = -1, w-1, -1, h-1
	case 8: // rotated 90 degrees counterclockwise for display
		p.ay, p.a0, p.bx = -1, w-1, 1
	default:
		p.ax, p.by = 1, 1
	}
	if orientation >= 5 && orientation <= 8 {
		p.W, p.H = h, w
	}
	p.a0 += b.Min.X
	p.b0 += b.Min.Y

	switch m := img.(type) {
	case *image.Gray, *image.Gray16:
		p.channels = 1
	case *image.Paletted:
		p.palette = compositePalette(m.Palette)
	}
	return p
}

// newPackedSource wraps a cache entry, which is stored in display orientation.
func newPackedSource(m *packedImage) *pixelSource {
	return &pixelSource{packed: m, W: m.W, H: m.H, channels: m.C, ax: 1, by: 1}
}

// compositePalette converts a palette to composited samples. Indices past the palette's end,
// which Go's PNG decoder can return, read as opaque black.
func compositePalette(pal color.Palette) []float32 {
	out := make([]float32, 3*256)
	for i, c := range pal {
		if i >= 256 {
			break
		}
		r, g, b, a := c.RGBA()
		out[3*i], out[3*i+1], out[3*i+2] = composite16(r, a), composite16(g, a), composite16(b, a)
	}
	return out
}

const (
	inv255   = 1.0 / 255
	inv65535 = 1.0 / 65535
)

// composite16 composites one premultiplied 16-bit sample with alpha a on white.
func composite16(c, a uint32) float32 {
	return float32(c+0xFFFF-a) * inv65535
}

// ycbcrTables contains each byte value's contribution to R, G and B in [0, 1] units, so a
// conversion is five table reads, four additions and three clamps.
type ycbcrTables struct {
	y, crR, cbG, crG, cbB [256]float32
}

// newYCbCrTables builds the tables for R = s*(Y-o) + a*(Cr-128), G = s*(Y-o) - b*(Cb-128) - c*(Cr-128),
// B = s*(Y-o) + d*(Cb-128).
func newYCbCrTables(s, o, a, b, c, d float32) *ycbcrTables {
	t := &ycbcrTables{}
	for i := range 256 {
		v := float32(i)
		t.y[i] = s * (v - o) * inv255
		t.crR[i] = a * (v - 128) * inv255
		t.cbG[i] = -b * (v - 128) * inv255
		t.crG[i] = -c * (v - 128) * inv255
		t.cbB[i] = d * (v - 128) * inv255
	}
	return t
}

var (
	// fullRange is JFIF's YCbCr, which JPEG files use: all 256 levels.
	fullRange = newYCbCrTables(1, 0, 1.402, 0.344136, 0.714136, 1.772)
	// limitedRange is ITU-R BT.601 "studio swing" YCbCr, Y in 16..235 and chroma in 16..240,
	// which lossy WebP (VP8) uses.
	limitedRange = newYCbCrTables(255.0/219, 16, 1.596027, 0.391762, 0.812968, 2.017232)
)

func (t *ycbcrTables) rgb(y, cb, cr uint8) (r, g, b float32) {
	fy := t.y[y]
	return clamp01(fy + t.crR[cr]), clamp01(fy + t.cbG[cb] + t.crG[cr]), clamp01(fy + t.cbB[cb])
}

// clamp01 uses comparisons because the built-in min and max, which must handle NaN and
// signed zeros, profiled more than twice as slow here.
func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// chromaShift returns how many bits to shift x and y right to index the chroma planes.
func chromaShift(ratio image.YCbCrSubsampleRatio) (sx, sy uint, ok bool) {
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		return 0, 0, true
	case image.YCbCrSubsampleRatio422:
		return 1, 0, true
	case image.YCbCrSubsampleRatio420:
		return 1, 1, true
	case image.YCbCrSubsampleRatio440:
		return 0, 1, true
	case image.YCbCrSubsampleRatio411:
		return 2, 0, true
	case image.YCbCrSubsampleRatio410:
		return 2, 1, true
	}
	return 0, 0, false
}

// readYCbCr converts n pixels starting at stored (sx, sy) and stepping (dx, dy).
func readYCbCr(m *image.YCbCr, t *ycbcrTables, sx, sy, dx, dy, n int, dst []float32) {
	xs, ys, ok := chromaShift(m.SubsampleRatio)
	if !ok || m.Rect.Min != (image.Point{}) {
		// Uncommon layouts: let the image compute each offset.
		for i := 0; i < n; i++ {
			yi, ci := m.YOffset(sx, sy), m.COffset(sx, sy)
			dst[3*i], dst[3*i+1], dst[3*i+2] = t.rgb(m.Y[yi], m.Cb[ci], m.Cr[ci])
			sx, sy = sx+dx, sy+dy
		}
		return
	}
	for i := 0; i < n; i++ {
		yi := sy*m.YStride + sx
		ci := (sy>>ys)*m.CStride + sx>>xs
		dst[3*i], dst[3*i+1], dst[3*i+2] = t.rgb(m.Y[yi], m.Cb[ci], m.Cr[ci])
		sx, sy = sx+dx, sy+dy
	}
}

// readRow writes display pixels x0..x1-1 of row y into dst, interleaved with p.channels samples per pixel.
func (p *pixelSource) readRow(y, x0, x1 int, dst []float32) {
	n := x1 - x0
	sx := p.ax*x0 + p.ay*y + p.a0
	sy := p.bx*x0 + p.by*y + p.b0
	dx, dy := p.ax, p.bx

	if p.packed != nil {
		m := p.packed
		for i := 0; i < n*m.C; i++ {
			dst[i] = float32(m.Pix[(sy*m.W+sx)*m.C+i]) * inv255
		}
		return
	}

	tables := fullRange
	if p.limitedRange {
		tables = limitedRange
	}
	switch m := p.img.(type) {
	case *image.YCbCr:
		readYCbCr(m, tables, sx, sy, dx, dy, n, dst)
	case *image.NYCbCrA:
		for i := 0; i < n; i++ {
			yi, ci := m.YOffset(sx, sy), m.COffset(sx, sy)
			r, g, b := tables.rgb(m.Y[yi], m.Cb[ci], m.Cr[ci])
			a := float32(m.A[m.AOffset(sx, sy)]) * inv255
			dst[3*i], dst[3*i+1], dst[3*i+2] = a*r+1-a, a*g+1-a, a*b+1-a
			sx, sy = sx+dx, sy+dy
		}
	case *image.Gray:
		for i := 0; i < n; i++ {
			dst[i] = float32(m.Pix[m.PixOffset(sx, sy)]) * inv255
			sx, sy = sx+dx, sy+dy
		}
	case *image.Gray16:
		for i := 0; i < n; i++ {
			o := m.PixOffset(sx, sy)
			dst[i] = float32(uint32(m.Pix[o])<<8|uint32(m.Pix[o+1])) * inv65535
			sx, sy = sx+dx, sy+dy
		}
	case *image.RGBA:
		// Premultiplied: composite on white by adding 1-alpha.
		for i := 0; i < n; i++ {
			s := m.Pix[m.PixOffset(sx, sy):]
			bg := float32(255-s[3]) * inv255
			dst[3*i] = float32(s[0])*inv255 + bg
			dst[3*i+1] = float32(s[1])*inv255 + bg
			dst[3*i+2] = float32(s[2])*inv255 + bg
			sx, sy = sx+dx, sy+dy
		}
	case *image.NRGBA:
		for i := 0; i < n; i++ {
			s := m.Pix[m.PixOffset(sx, sy):]
			a := float32(s[3]) * inv255
			dst[3*i] = a*float32(s[0])*inv255 + 1 - a
			dst[3*i+1] = a*float32(s[1])*inv255 + 1 - a
			dst[3*i+2] = a*float32(s[2])*inv255 + 1 - a
			sx, sy = sx+dx, sy+dy
		}
	case *image.CMYK:
		// R = (1-C)(1-K), and likewise for G with M and B with Y.
		for i := 0; i < n; i++ {
			s := m.Pix[m.PixOffset(sx, sy):]
			k := float32(255-s[3]) * inv255
			dst[3*i] = float32(255-s[0]) * inv255 * k
			dst[3*i+1] = float32(255-s[1]) * inv255 * k
			dst[3*i+2] = float32(255-s[2]) * inv255 * k
			sx, sy = sx+dx, sy+dy
		}
	case *image.Paletted:
		for i := 0; i < n; i++ {
			c := p.palette[3*int(m.Pix[m.PixOffset(sx, sy)]):]
			dst[3*i], dst[3*i+1], dst[3*i+2] = c[0], c[1], c[2]
			sx, sy = sx+dx, sy+dy
		}
	default:
		// RGBA64, NRGBA64, Alpha and any other model: At returns premultiplied 16-bit samples.
		for i := 0; i < n; i++ {
			r, g, b, a := m.At(sx, sy).RGBA()
			dst[3*i], dst[3*i+1], dst[3*i+2] = composite16(r, a), composite16(g, a), composite16(b, a)
			sx, sy = sx+dx, sy+dy
		}
	}
}

// Luma weights of ITU-R BT.601, as Pillow's convert("L") uses them.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// convertPlanes maps n pixels of srcC planes to dstC planes and normalizes each output channel c
// to (v - mean[c]) / std[c]. One gray plane is repeated into three; three planes become BT.601 luma.
func convertPlanes(src []float32, srcC int, dst []float32, dstC, n int, mean, std []float32) {
	for c := 0; c < dstC; c++ {
		m, inv := mean[c], 1/std[c]
		out := dst[c*n : (c+1)*n]
		switch {
		case srcC == dstC:
			in := src[c*n : (c+1)*n]
			for i := range out {
				out[i] = (in[i] - m) * inv
			}
		case srcC == 1:
			in := src[:n]
			for i := range out {
				out[i] = (in[i] - m) * inv
			}
		default:
			r, g, b := src[:n], src[n:2*n], src[2*n:3*n]
			for i := range out {
				out[i] = (lumaR*r[i] + lumaG*g[i] + lumaB*b[i] - m) * inv
			}
		}
	}
}

// packedImage is a cache entry: 8-bit samples, interleaved, in display orientation, with C 1 or 3.
type packedImage struct {
	W, H, C int
	Pix     []uint8
}
