package dataset

import (
	"bytes"
	"encoding/binary"
)

// exifOrientation returns the EXIF Orientation value (1 to 8) stored in a JPEG APP1 segment,
// a PNG eXIf chunk, a WebP EXIF chunk or a TIFF file's first IFD. It returns 1, the image as
// stored, when there is no such tag or the metadata is malformed, because metadata never
// makes a file unusable.
func exifOrientation(format imageFormat, data []byte) int {
	var tiffData []byte
	switch format.name {
	case formatJPEG.name:
		tiffData = jpegExif(data)
	case formatPNG.name:
		tiffData = pngExif(data)
	case formatWebP.name:
		tiffData = webpExif(data)
	case formatTIFF.name:
		tiffData = data
	}
	if tiffData == nil {
		return 1
	}
	return tiffOrientation(tiffData)
}

var exifHeader = []byte("Exif\x00\x00")

// jpegExif returns the TIFF structure inside the first Exif APP1 segment, or nil.
func jpegExif(data []byte) []byte {
	pos := 2 // after SOI
	for pos+4 <= len(data) {
		if data[pos] != 0xFF {
			return nil
		}
		marker := data[pos+1]
		switch {
		case marker == 0xFF: // fill byte before a marker
			pos++
			continue
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // markers without a length
			pos += 2
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan or end of image: metadata comes before
			return nil
		}
		length := int(binary.BigEndian.Uint16(data[pos+2:]))
		if length < 2 || pos+2+length > len(data) {
			return nil
		}
		segment := data[pos+4 : pos+2+length]
		if marker == 0xE1 && bytes.HasPrefix(segment, exifHeader) {
			return segment[len(exifHeader):]
		}
		pos += 2 + length
	}
	return nil
}

// pngExif returns the content of the eXIf chunk, or nil.
func pngExif(data []byte) []byte {
	pos := 8 // after the signature
	for pos+8 <= len(data) {
		length := int(binary.BigEndian.Uint32(data[pos:]))
		kind := string(data[pos+4 : pos+8])
		start := pos + 8
		if length < 0 || start+length > len(data) {
			return nil
		}
		switch kind {
		case "eXIf":
			return data[start : start+length]
		case "IEND":
			return nil
		}
		pos = start + length + 4 // skip the CRC
	}
	return nil
}

// webpExif returns the content of the EXIF chunk of an extended WebP file, or nil.
// Some writers start the chunk with "Exif\0\0" as in JPEG, so that prefix is dropped.
func webpExif(data []byte) []byte {
	pos := 12 // after "RIFF", the file size and "WEBP"
	for pos+8 <= len(data) {
		kind := string(data[pos : pos+4])
		length := int(binary.LittleEndian.Uint32(data[pos+4:]))
		start := pos + 8
		if length < 0 || start+length > len(data) {
			return nil
		}
		if kind == "EXIF" {
			return bytes.TrimPrefix(data[start:start+length], exifHeader)
		}
		pos = start + length + length%2 // chunks are padded to an even size
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from the first IFD of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(order.Uint32(t[4:]))
	if ifd+2 > int64(len(t)) {
		return 1
	}
	count := int64(order.Uint16(t[ifd:]))
	for i := int64(0); i < count; i++ {
		entry := ifd + 2 + 12*i
		if entry+12 > int64(len(t)) {
			return 1
		}
		if order.Uint16(t[entry:]) != 0x0112 {
			continue
		}
		var value int
		switch order.Uint16(t[entry+2:]) {
		case 3: // SHORT
			value = int(order.Uint16(t[entry+8:]))
		case 4: // LONG, written by a few tools
			value = int(order.Uint32(t[entry+8:]))
		}
		if value >= 1 && value <= 8 {
			return value
		}
		return 1
	}
	return 1
}
