package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
)

// rowsStmt is one multi-row statement prepared for 64, 16, 4 and 1 rows
// (rowChunk). A group of n rows goes 64 rows per statement, the remainder
// through the smaller ones: one statement per row spent most of the
// writer's time in database/sql and the driver rather than in SQLite.
type rowsStmt [4]*sql.Stmt

// rowChunk is the number of rows of the i-th statement: 64, 16, 4, 1.
func rowChunk(i int) int { return 64 >> (2 * i) }

// prepareRows prepares head + n value tuples of cols placeholders + tail
// for every chunk size.
func (s *Store) prepareRows(ctx context.Context, head string, cols int, tail string) (rowsStmt, error) {
	var r rowsStmt
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for i := range r {
		n := rowChunk(i)
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(tuple+",", n), ",") + " " + tail
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			r.close()
			return rowsStmt{}, fmt.Errorf("store: prepare: %w", err)
		}
		r[i] = st
	}
	return r, nil
}

func (r *rowsStmt) close() {
	for _, st := range r {
		if st != nil {
			st.Close()
		}
	}
}

// exec writes rows 0..n-1 in tx; appendRow appends row k's values to args.
func (r *rowsStmt) exec(tx *sql.Tx, n int, args []any, appendRow func(args []any, k int) ([]any, error)) error {
	k := 0
	for i := range r {
		size := rowChunk(i)
		if n-k < size {
			continue
		}
		// On the one connection the transaction holds, tx.Stmt reuses the
		// statement already prepared there.
		st := tx.Stmt(r[i])
		for n-k >= size {
			args = args[:0]
			for end := k + size; k < end; k++ {
				var err error
				if args, err = appendRow(args, k); err != nil {
					return err
				}
			}
			if _, err := st.Exec(args...); err != nil {
				return err
			}
			// A group of thousands of rows is CPU work that the Go
			// scheduler preempts only every 10 ms; on a server with one
			// CPU, update checks would queue behind those slices, and
			// they alone would put the scheduler latency that the CPU
			// guard reads (refserver/cpuguard.go) over its target, so
			// that it shed a server that keeps up. Yielding after each
			// chunk (well under 1 ms) lets the network's goroutines run.
			runtime.Gosched()
		}
	}
	return nil
}
