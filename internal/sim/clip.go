package sim

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// PlaintextMarker is in every synthetic clip, in a GIF comment, so that a
// test can search stored files and logs for plaintext.
const PlaintextMarker = "hearth-sim-plaintext"

// Synthetic clip geometry. Small on purpose: a clip of a few seconds is a few
// tens of KB, so simulating many devices costs little storage.
const (
	ClipWidth       = 320
	ClipHeight      = 180
	FramesPerSecond = 4
	// MaxClipLength is the longest clip WriteClip makes: as long as the
	// longest record command (device.MaxRecordSeconds).
	MaxClipLength = 300 * time.Second
)

const frameInterval = time.Second / FramesPerSecond

// Palette indexes. One small global palette keeps every frame's colour
// table out of the file.
const (
	colSky uint8 = iota
	colGround
	colBand
	colText
	colDim
	colBox
	colRec
)

var clipPalette = color.Palette{
	colSky:    color.RGBA{0x1b, 0x26, 0x33, 0xff},
	colGround: color.RGBA{0x2b, 0x3a, 0x2c, 0xff},
	colBand:   color.RGBA{0x0d, 0x12, 0x18, 0xff},
	colText:   color.RGBA{0xf4, 0xf4, 0xf0, 0xff},
	colDim:    color.RGBA{0x9a, 0xa7, 0xb4, 0xff},
	colBox:    color.RGBA{0xf2, 0x8c, 0x28, 0xff},
	colRec:    color.RGBA{0xe0, 0x30, 0x30, 0xff},
}

// Layout, in pixels.
const (
	horizonY  = 110 // sky above, ground below
	bandY     = 140 // the timestamp band starts here
	boxSize   = 36
	margin    = 8
	timeScale = 2 // the timestamp is drawn at twice the font's size to be legible
	// TimeFormat is how each frame shows its time.
	TimeFormat = "2006-01-02 15:04:05"
)

// WriteClip writes a synthetic recording to w: an animated GIF of
// FramesPerSecond frames per second of length, each showing deviceName, the
// frame's time (start plus its offset, in start's location, as TimeFormat)
// and a box that slides across the picture, so a viewer sees it play. A GIF
// comment holds PlaintextMarker with the device name and start time. It
// returns an error for a length that is not positive or exceeds
// MaxClipLength, and any error of w.
func WriteClip(w io.Writer, deviceName string, start time.Time, length time.Duration) error {
	if length <= 0 || length > MaxClipLength {
		return fmt.Errorf("sim: clip length %v is not between 0 and %v", length, MaxClipLength)
	}
	n := max(1, int(length/frameInterval))
	g := &gif.GIF{
		Image:  make([]*image.Paletted, n),
		Delay:  make([]int, n),
		Config: image.Config{ColorModel: clipPalette, Width: ClipWidth, Height: ClipHeight},
	}
	base := drawBackground(deviceName)
	for i := range n {
		g.Image[i] = drawFrame(base, start.Add(time.Duration(i)*frameInterval), i, n)
		g.Delay[i] = int(frameInterval / (10 * time.Millisecond))
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		return fmt.Errorf("sim: encode clip: %w", err)
	}
	b := buf.Bytes()
	if len(b) == 0 || b[len(b)-1] != gifTrailer {
		return errors.New("sim: encoded clip does not end with the GIF trailer")
	}
	comment := fmt.Sprintf("%s device=%+q start=%s length=%s", PlaintextMarker, deviceName, start.UTC().Format(time.RFC3339), length)
	out := append(b[:len(b)-1:len(b)-1], commentExtension(comment)...)
	out = append(out, gifTrailer)
	_, err := w.Write(out)
	return err
}

const gifTrailer = 0x3b

// commentExtension returns a GIF89a Comment Extension block: the
// introducer, the label, the text in sub-blocks of at most 255 bytes and
// the block terminator.
func commentExtension(text string) []byte {
	b := []byte{0x21, 0xfe}
	for s := text; len(s) > 0; {
		k := min(len(s), 255)
		b = append(b, byte(k))
		b = append(b, s[:k]...)
		s = s[k:]
	}
	return append(b, 0x00)
}

// drawBackground paints what every frame shows: sky, ground, the band
// behind the timestamp, the device's name and the REC label.
func drawBackground(name string) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, ClipWidth, ClipHeight), clipPalette)
	// colSky is index 0, which NewPaletted already filled in.
	fill(img, image.Rect(0, horizonY, ClipWidth, bandY), colGround)
	fill(img, image.Rect(0, bandY, ClipWidth, ClipHeight), colBand)
	face := basicfont.Face7x13
	maxChars := (ClipWidth - 3*margin - 4*face.Advance) / face.Advance // leave room for REC
	drawText(img, margin, margin, truncate(name, maxChars), 1, colText)
	drawText(img, recX, margin, "REC", 1, colDim)
	return img
}

var recX = ClipWidth - margin - 3*basicfont.Face7x13.Advance

// drawFrame paints frame i of n, which shows the time at, over base.
func drawFrame(base *image.Paletted, at time.Time, i, n int) *image.Paletted {
	img := image.NewPaletted(base.Rect, base.Palette)
	copy(img.Pix, base.Pix)
	// The box crosses the picture once over the clip.
	x := margin
	if n > 1 {
		x += (ClipWidth - 2*margin - boxSize) * i / (n - 1)
	}
	fill(img, image.Rect(x, horizonY-boxSize+6, x+boxSize, horizonY+6), colBox)
	face := basicfont.Face7x13
	if i%2 == 0 { // a blinking light, like a real camera's
		dot(img, recX-8, margin+face.Ascent/2+1, 4, colRec)
	}
	ts := at.Format(TimeFormat)
	tw := len(ts) * face.Advance * timeScale
	top := bandY + (ClipHeight-bandY-face.Height*timeScale)/2
	drawText(img, (ClipWidth-tw)/2, top, ts, timeScale, colText)
	// The zone, small, after the time: viewers elsewhere read the time right.
	drawText(img, (ClipWidth+tw)/2+3, top+face.Height*(timeScale-1), at.Format("MST"), 1, colText)
	return img
}

func fill(img *image.Paletted, r image.Rectangle, c uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for k := range row {
			row[k] = c
		}
	}
}

func dot(img *image.Paletted, cx, cy, r int, c uint8) {
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			if x*x+y*y <= r*r {
				img.SetColorIndex(cx+x, cy+y, c)
			}
		}
	}
}

// drawText draws s with its top-left corner at (x, y), each font pixel
// scale×scale. The glyphs are rendered into a mask first and copied by
// hand: the generic draw path into a paletted image is slow and blurs
// edges into colours the palette lacks.
func drawText(img *image.Paletted, x, y int, s string, scale int, c uint8) {
	face := basicfont.Face7x13
	d := font.Drawer{Face: face, Src: image.Opaque}
	w := d.MeasureString(s).Ceil()
	if w <= 0 {
		return
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, face.Height))
	d.Dst = mask
	d.Dot = fixed.P(0, face.Ascent)
	d.DrawString(s)
	for my := range face.Height {
		for mx := range w {
			if mask.AlphaAt(mx, my).A < 0x80 {
				continue
			}
			fill(img, image.Rect(x+mx*scale, y+my*scale, x+(mx+1)*scale, y+(my+1)*scale), c)
		}
	}
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
