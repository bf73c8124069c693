package mail

import (
	"context"
	"net"
	"net/textproto"
	"strings"
	"testing"
)

// fakeServer speaks just enough SMTP to take one message, and hands back
// what it received. It stands in for a mail server, which Hearth does not own.
func fakeServer(t *testing.T) (addr string, got chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got = make(chan string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		tp := textproto.NewConn(conn)
		tp.PrintfLine("220 fake ESMTP")
		var msg strings.Builder
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
			case "EHLO", "HELO":
				tp.PrintfLine("250 fake")
			case "MAIL", "RCPT":
				msg.WriteString(line + "\n")
				tp.PrintfLine("250 ok")
			case "DATA":
				tp.PrintfLine("354 go on")
				body, err := tp.ReadDotLines()
				if err != nil {
					return
				}
				msg.WriteString(strings.Join(body, "\n"))
				tp.PrintfLine("250 queued")
			case "QUIT":
				tp.PrintfLine("221 bye")
				got <- msg.String()
				return
			default:
				tp.PrintfLine("502 no")
			}
		}
	}()
	return l.Addr().String(), got
}

func TestSMTPSends(t *testing.T) {
	addr, got := fakeServer(t)
	s, err := ParseURL("smtp://" + addr + "?from=Hearth+%3Chearth@example.org%3E")
	if err != nil {
		t.Fatal(err)
	}
	body := "An agency asks for footage.\n.a line starting with a dot\nSee /requests/rfa_x"
	if err := s.Send(context.Background(), "ana@example.org", "Hearth: a request near you — été", body); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	for _, want := range []string{
		"MAIL FROM:<hearth@example.org>", "RCPT TO:<ana@example.org>", "To: ana@example.org",
		"Subject: =?utf-8?q?", ".a line starting with a dot", "See /requests/rfa_x", "charset=utf-8",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"", "http://mail.example.org?from=a@b.c", "smtp://?from=a@b.c", "smtp://mail.example.org", "smtp://mail.example.org?from=nobody"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
	s, err := ParseURL("smtps://u:p@mail.example.org?from=hearth@example.org")
	if err != nil || s.addr != "mail.example.org:465" || !s.implicit || s.auth == nil {
		t.Errorf("smtps URL: %+v, %v", s, err)
	}
	if s, err := ParseURL("smtp://mail.example.org?from=hearth@example.org"); err != nil || s.addr != "mail.example.org:587" {
		t.Errorf("smtp URL: %+v, %v", s, err)
	}
}

func TestSendRefusesBadRecipient(t *testing.T) {
	s, _ := ParseURL("smtp://127.0.0.1:1?from=hearth@example.org")
	if err := s.Send(context.Background(), "ana@example.org\r\nBcc: x@y.z", "s", "b"); err == nil {
		t.Error("a recipient with a header injection was accepted")
	}
}
