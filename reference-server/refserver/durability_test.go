package refserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/store"
)

const helperDBEnv = "OTASIM_TEST_HELPER_DB"

// TestHelperServer is not a test: it is the child process of
// TestKillAndRestartDurability, serving until it is killed.
func TestHelperServer(t *testing.T) {
	db := os.Getenv(helperDBEnv)
	if db == "" {
		t.Skip("helper process only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{DBPath: db, AdminToken: testToken, PublicURL: "http://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.seedDemo(context.Background(), testBundleSize); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	srv.Serve(context.Background(), ln) // until killed
}

// TestKillAndRestartDurability kills the server with SIGKILL while stats
// are posted concurrently, restarts it on the same database and checks
// that every acknowledged event is stored and counted.
func TestKillAndRestartDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	db := t.TempDir() + "/durable.db"
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperDBEnv+"="+db)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("helper server did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	url := "http://" + addr + "/stats"

	const workers, killAfter = 6, 300
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		wg    sync.WaitGroup
		kill  = make(chan struct{})
		once  sync.Once
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Bounded: the server is killed after killAfter
			// acknowledgements.
			for i := range 100 * killAfter {
				select {
				case <-kill:
					return
				default:
				}
				var batch []protocol.StatsEvent
				var ids []string
				for j := range 5 {
					id := fmt.Sprintf("w%d-b%d-e%d", w, i, j)
					e := event(uuid(w), "set", "1.1.0", "1.0.0")
					e.Metadata = map[string]string{"id": id}
					batch = append(batch, e)
					ids = append(ids, id)
				}
				st, ok := post(client, url, batch)
				if !ok {
					// The server is gone: nothing more can be acknowledged.
					return
				}
				if st == 200 {
					mu.Lock()
					for _, id := range ids {
						acked[id] = true
					}
					n := len(acked)
					mu.Unlock()
					if n >= killAfter {
						once.Do(func() { cmd.Process.Kill() })
					}
				}
			}
		}()
	}
	wg.Wait()
	close(kill)
	cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("only %d events acknowledged before the server died", len(acked))
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	err = st.Events(context.Background(), DemoAppID, time.Time{}, func(e store.Event) error {
		stored[e.Metadata["id"]] = true
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for id := range acked {
		if !stored[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged events lost", lost, len(acked))
	}

	// The restarted server counts them too, and kept its release state.
	ts := startServerAt(t, db, newClock())
	var bs live.BundleStats
	ts.admin(t, "GET", "/admin/apps/com.example.app/bundles/1.1.0/stats", nil, &bs)
	if bs.Installs < int64(len(acked)) || bs.Installs != int64(len(stored)) {
		t.Fatalf("installs %d, acknowledged %d, stored %d", bs.Installs, len(acked), len(stored))
	}
	t.Logf("acknowledged %d, stored %d (the rest were in flight at the kill)", len(acked), len(stored))
}

// post sends a batch; ok is false when the server could not be reached.
// The status is 200 only when every event of the batch was accepted.
func post(c *http.Client, url string, batch []protocol.StatsEvent) (int, bool) {
	body, err := json.Marshal(batch)
	if err != nil {
		return 0, false
	}
	res, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, false
	}
	var rep protocol.StatsReply
	if res.StatusCode == 200 && (json.Unmarshal(raw, &rep) != nil || len(rep.Results) != len(batch)) {
		return 0, true
	}
	for _, r := range rep.Results {
		if r.Status != "ok" {
			return 0, true
		}
	}
	return res.StatusCode, true
}
