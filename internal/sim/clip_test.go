package sim

import (
	"bytes"
	"image"
	"image/gif"
	"strings"
	"testing"
	"time"
)

var clipStart = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func writeClip(t *testing.T, name string, start time.Time, length time.Duration) ([]byte, *gif.GIF) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteClip(&buf, name, start, length); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the clip does not decode: %v", err)
	}
	return buf.Bytes(), g
}

// region returns the palette indexes of r in frame i.
func region(g *gif.GIF, i int, r image.Rectangle) []byte {
	var out []byte
	img := g.Image[i]
	for y := r.Min.Y; y < r.Max.Y; y++ {
		out = append(out, img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]...)
	}
	return out
}

var (
	timeBand = image.Rect(0, bandY, ClipWidth, ClipHeight)
	nameBand = image.Rect(0, 0, ClipWidth/2, margin+13)
	scene    = image.Rect(0, margin+13, ClipWidth, bandY)
)

func TestSimWriteClip(t *testing.T) {
	b, g := writeClip(t, "Front door", clipStart, 3*time.Second)
	if len(g.Image) != 3*FramesPerSecond {
		t.Fatalf("%d frames, want %d", len(g.Image), 3*FramesPerSecond)
	}
	for i, d := range g.Delay {
		if d != 100/FramesPerSecond {
			t.Fatalf("frame %d: delay %d", i, d)
		}
	}
	if r := g.Image[0].Rect; r.Dx() != ClipWidth || r.Dy() != ClipHeight {
		t.Fatalf("frame size %v", r)
	}
	if !bytes.Contains(b, []byte(PlaintextMarker+` device="Front door" start=2026-03-01T10:00:00Z`)) {
		t.Fatal("the marker comment is missing")
	}
	if !bytes.HasSuffix(b, []byte{0x00, gifTrailer}) {
		t.Fatal("the comment block is not just before the trailer")
	}
	if len(b) > 64<<10 {
		t.Fatalf("a 3 s clip takes %d bytes", len(b))
	}
	// The box moves: every frame's scene differs from the one before.
	for i := 1; i < len(g.Image); i++ {
		if bytes.Equal(region(g, i-1, scene), region(g, i, scene)) {
			t.Fatalf("frames %d and %d show the same scene", i-1, i)
		}
	}
	// The timestamp is drawn from each frame's time: frames of one second
	// show the same one, the next second's frames another.
	if !bytes.Equal(region(g, 0, timeBand), region(g, FramesPerSecond-1, timeBand)) {
		t.Fatal("the timestamp changes within a second")
	}
	if bytes.Equal(region(g, 0, timeBand), region(g, FramesPerSecond, timeBand)) {
		t.Fatal("the timestamp does not change from one second to the next")
	}
	if !bytes.Contains(region(g, 0, timeBand), []byte{colText}) || !bytes.Contains(region(g, 0, nameBand), []byte{colText}) {
		t.Fatal("no text drawn")
	}
	// The same time in another clip draws the same pixels; another name others.
	_, g2 := writeClip(t, "Back door", clipStart.Add(time.Second), time.Second)
	if !bytes.Equal(region(g, FramesPerSecond, timeBand), region(g2, 0, timeBand)) {
		t.Fatal("one time drawn two ways")
	}
	if bytes.Equal(region(g, 0, nameBand), region(g2, 0, nameBand)) {
		t.Fatal("the device name is not drawn")
	}
}

func TestSimWriteClipEdges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length time.Duration
		frames int
	}{
		{"ShorterThanAFrame", time.Millisecond, 1},
		{"HalfMinute", 30 * time.Second, 30 * FramesPerSecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			long := strings.Repeat("a very long device name ", 20) + "é\x00\"\n"
			b, g := writeClip(t, long, clipStart, tc.length)
			if len(g.Image) != tc.frames || !bytes.Contains(b, []byte(PlaintextMarker)) {
				t.Fatalf("%d frames, marker %v", len(g.Image), bytes.Contains(b, []byte(PlaintextMarker)))
			}
		})
	}
	for _, length := range []time.Duration{0, -time.Second, MaxClipLength + time.Second} {
		if err := WriteClip(new(bytes.Buffer), "x", clipStart, length); err == nil {
			t.Errorf("length %v accepted", length)
		}
	}
}

func TestSimCommentExtension(t *testing.T) {
	text := strings.Repeat("x", 600)
	b := commentExtension(text)
	want := 2 + 1 + 255 + 1 + 255 + 1 + 90 + 1
	if len(b) != want || b[2] != 255 || b[258] != 255 || b[514] != 90 || b[len(b)-1] != 0 {
		t.Fatalf("sub-blocks: %d bytes, lengths %d %d %d", len(b), b[2], b[258], b[514])
	}
}
