package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strings"
)

// writerConn is the stats writer's hold on the one connection: its
// statements, prepared on the driver's connection, and its transactions,
// driven there without database/sql. database/sql converts an Exec's
// arguments into a new []driver.NamedValue every time (768 of them for a
// 64-row insert): 8% of the bytes a 1M fleet run allocated. Only the
// writer's goroutine uses it. The statements are prepared again when
// database/sql hands over another connection (it replaced a broken one).
type writerConn struct {
	queries []string
	dc      any                 // the connection stmts were prepared on
	stmts   []driver.Stmt       // by query id
	args    []driver.NamedValue // a multi-row statement's, reused: 30 KB for 64 events
}

// add registers a query and returns its id.
func (w *writerConn) add(q string) int {
	w.queries = append(w.queries, q)
	return len(w.queries) - 1
}

// errDriver: the driver lacks what the writer drives it with.
var errDriver = errors.New("store: the SQLite driver lacks context-aware transactions or statements")

// onConn runs f with the driver's connection, held meanwhile.
func onConn(ctx context.Context, db *sql.DB, f func(dc any) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(f)
}

// inTx runs f in one transaction on the connection.
func (w *writerConn) inTx(ctx context.Context, db *sql.DB, f func(*writeTx) error) error {
	return onConn(ctx, db, func(dc any) error {
		if err := w.prepareOn(ctx, dc); err != nil {
			return err
		}
		b, ok := dc.(driver.ConnBeginTx)
		if !ok {
			return errDriver
		}
		tx, err := b.BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			return err
		}
		if err := f(&writeTx{ctx: ctx, w: w}); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// prepare prepares the statements now, so that a query the schema does
// not allow fails at Open.
func (w *writerConn) prepare(ctx context.Context, db *sql.DB) error {
	return onConn(ctx, db, func(dc any) error { return w.prepareOn(ctx, dc) })
}

// prepareOn prepares the statements on dc unless they already are.
func (w *writerConn) prepareOn(ctx context.Context, dc any) error {
	if dc == w.dc {
		return nil
	}
	w.closeStmts()
	p, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return errDriver
	}
	for _, q := range w.queries {
		st, err := p.PrepareContext(ctx, q)
		if err == nil {
			if _, ok := st.(driver.StmtExecContext); !ok {
				st.Close()
				err = errDriver
			}
		}
		if err != nil {
			w.closeStmts()
			return fmt.Errorf("store: prepare: %w", err)
		}
		w.stmts = append(w.stmts, st)
	}
	w.dc = dc
	return nil
}

func (w *writerConn) closeStmts() {
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts, w.dc = w.stmts[:0], nil
}

// close closes the statements, before the database closes.
func (w *writerConn) close(db *sql.DB) {
	onConn(context.Background(), db, func(any) error {
		w.closeStmts()
		return nil
	})
}

// writeTx is a transaction of the writer.
type writeTx struct {
	ctx context.Context
	w   *writerConn
}

// exec runs statement id with args, whose ordinals are 1, 2, ...
func (tx *writeTx) exec(id int, args []driver.NamedValue) error {
	_, err := tx.w.stmts[id].(driver.StmtExecContext).ExecContext(tx.ctx, args)
	return err
}

// appendValues appends values as the next positional arguments.
func appendValues(args []driver.NamedValue, vals ...any) []driver.NamedValue {
	for _, v := range vals {
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
	}
	return args
}

// rowsStmt is one multi-row statement prepared for 64, 32, 16, 8, 4, 2
// and 1 rows (rowChunk): the ids of its queries. A group of n rows goes
// 64 rows per statement, the remainder through the smaller ones, one
// statement per bit of it: one statement per row spent most of the
// writer's time in the driver rather than in SQLite, and sizes 64, 16, 4
// and 1 took up to nine statements for a remainder where these take six
// (BenchmarkCommitGroup's 75 events: four statements instead of six,
// 2.5% less of the writer's time).
type rowsStmt [7]int

// rowChunk is the number of rows of the i-th statement: 64, 32, ..., 1.
func rowChunk(i int) int { return 64 >> i }

// addRows registers head + n value tuples of cols placeholders + tail
// for every chunk size.
func (w *writerConn) addRows(head string, cols int, tail string) rowsStmt {
	var r rowsStmt
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for i := range r {
		n := rowChunk(i)
		r[i] = w.add(head + " VALUES " + strings.TrimSuffix(strings.Repeat(tuple+",", n), ",") + " " + tail)
	}
	return r
}

// exec writes rows 0..n-1 in tx; appendRow appends row k's values to
// args, whose ordinals exec sets.
func (r *rowsStmt) exec(tx *writeTx, n int, appendRow func(args []driver.NamedValue, k int) []driver.NamedValue) error {
	args := tx.w.args
	defer func() { tx.w.args = args[:0] }()
	k := 0
	for i := range r {
		size := rowChunk(i)
		for n-k >= size {
			args = args[:0]
			for end := k + size; k < end; k++ {
				args = appendRow(args, k)
			}
			for j := range args {
				args[j].Ordinal = j + 1
			}
			if err := tx.exec(r[i], args); err != nil {
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
