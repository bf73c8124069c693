package client_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"hearth/client"
)

// A script lists the clips of one of its households, a page at a time,
// and notices a household that is not its own.
func Example() {
	ctx := context.Background()
	c, err := client.New("https://hearth.example.org", client.WithToken(os.Getenv("HEARTH_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", me.Email)
	for clip, err := range c.AllClips(ctx, "h_7a4kq2m4xj9p", client.ClipQuery{}) {
		if client.IsCode(err, client.NotFound) {
			log.Fatal("no such household, or not yours")
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Println(clip.ID, clip.Start, clip.Size)
	}
}
