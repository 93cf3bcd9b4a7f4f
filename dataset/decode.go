package dataset

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"github.com/pkg/errors"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// maxPixels bounds width*height as read from an image header before the full decode allocates
// the pixels, because a corrupt or hostile header can claim gigapixels.
// NOTE: the bound is a judgment call: it admits 100-megapixel camera photos (about 0.4 GB decoded).
const maxPixels = 1 << 27

// Image is an image in CHW layout: Pix[(c*H+y)*W+x] is channel c of pixel (x, y). Decode
// returns values in [0, 1]; Preprocess returns them normalized with the config's mean and std.
type Image struct {
	C, H, W int
	Pix     []float32
}

// Decode reads an image file into a C x H x W image with values in [0, 1] and channels 1 or 3.
// The format is chosen by content, never by file name. EXIF orientation is applied, transparent
// pixels are composited on white, 16-bit samples are divided by 65535, CMYK is converted to RGB,
// and channels 1 gives ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B).
func Decode(path string, channels int) (*Image, error) {
	if channels != 1 && channels != 3 {
		return nil, errors.Errorf("channels %d is invalid: use 1 for grayscale or 3 for RGB", channels)
	}
	src, err := decodeFile(path, nil)
	if err != nil {
		return nil, errors.Wrapf(err, "decode %s", path)
	}
	return src.toImage(channels), nil
}

// decodeFile reads and fully decodes one file. The error text is the reason alone, without the
// path, so it can go into Skipped.Reason. A non-nil buf is reused for the file's bytes, which
// the decoders copy, so a worker does not allocate a read buffer per file.
func decodeFile(path string, buf *[]byte) (*pixelSource, error) {
	data, err := readFile(path, buf)
	if err != nil {
		return nil, errors.Errorf("cannot read file: %v", err)
	}
	return decodeBytes(data)
}

func readFile(path string, buf *[]byte) ([]byte, error) {
	if buf == nil {
		return os.ReadFile(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// The size is a hint: a file that grows while being read is read to its end all the same.
	b := bytes.NewBuffer((*buf)[:0])
	b.Grow(int(info.Size()) + bytes.MinRead)
	_, err = b.ReadFrom(f)
	*buf = b.Bytes()
	return *buf, err
}

type imageFormat struct {
	name         string
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

var (
	formatJPEG = imageFormat{"JPEG", jpeg.Decode, jpeg.DecodeConfig}
	formatPNG  = imageFormat{"PNG", png.Decode, png.DecodeConfig}
	formatGIF  = imageFormat{"GIF", gif.Decode, gif.DecodeConfig}
	formatBMP  = imageFormat{"BMP", bmp.Decode, bmp.DecodeConfig}
	formatTIFF = imageFormat{"TIFF", tiff.Decode, tiff.DecodeConfig}
	formatWebP = imageFormat{"WebP", webp.Decode, webp.DecodeConfig}
)

// sniffFormat picks the decoder from the file's leading bytes (its magic number).
func sniffFormat(data []byte) (imageFormat, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return formatJPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, nil
	case bytes.HasPrefix(data, []byte("BM")):
		return formatBMP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return formatTIFF, nil
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return formatWebP, nil
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		brand := string(data[8:12])
		return imageFormat{}, errors.Errorf("unsupported format: ISO media file with brand %q (HEIC, AVIF or video); convert it to JPEG or PNG", brand)
	}
	return imageFormat{}, errors.New("not an image: content matches none of JPEG, PNG, GIF, BMP, TIFF, WebP")
}

// decodeBytes fully decodes one file's content. A decoder panic on malformed data becomes an
// error, so one bad file never ends a run.
func decodeBytes(data []byte) (src *pixelSource, err error) {
	if len(data) == 0 {
		return nil, errors.New("empty file (0 bytes)")
	}
	format, err := sniffFormat(data)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			src, err = nil, errors.Errorf("invalid %s data: the decoder failed with %v", format.name, r)
		}
	}()

	cfg, err := format.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, describeDecodeError(format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, errors.Errorf("invalid %s header: size %dx%d has no pixels", format.name, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, errors.Errorf("%s image of %dx%d pixels is over the limit of %d pixels: downscale it first", format.name, cfg.Width, cfg.Height, maxPixels)
	}

	img, err := format.decode(bytes.NewReader(data))
	if err != nil {
		return nil, describeDecodeError(format, err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, errors.Errorf("invalid %s data: decoded image has no pixels", format.name)
	}
	src = newPixelSource(img, exifOrientation(format, data))
	// Go's image.YCbCr assumes JPEG's full range, but lossy WebP (VP8) uses the limited range.
	src.limitedRange = format.name == formatWebP.name
	return src, nil
}

// describeDecodeError turns a decoder error into a reason a user can act on.
func describeDecodeError(format imageFormat, err error) error {
	var unsupported jpeg.UnsupportedError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.Errorf("truncated %s file: the data ends before the image is complete", format.name)
	case errors.As(err, &unsupported):
		return errors.Errorf("%v (Go's image/jpeg cannot decode it): re-encode the file, for example as baseline JPEG with 4:2:0 subsampling", err)
	}
	return errors.Errorf("invalid %s data (truncated or corrupt): %v", format.name, err)
}

// toImage converts the whole image to CHW float32 with the given channel count.
func (p *pixelSource) toImage(channels int) *Image {
	n := p.W * p.H
	native := make([]float32, p.channels*n)
	row := make([]float32, p.W*p.channels)
	for y := 0; y < p.H; y++ {
		p.readRow(y, 0, p.W, row)
		for x := 0; x < p.W; x++ {
			for c := 0; c < p.channels; c++ {
				native[c*n+y*p.W+x] = row[x*p.channels+c]
			}
		}
	}

	out := &Image{C: channels, H: p.H, W: p.W, Pix: make([]float32, channels*n)}
	zero := []float32{0, 0, 0}
	one := []float32{1, 1, 1}
	convertPlanes(native, p.channels, out.Pix, channels, n, zero[:channels], one[:channels])
	return out
}
