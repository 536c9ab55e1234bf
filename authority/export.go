package authority

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Export writes the entries a store holds that f selects, as JSON lines
// (a Record each: kiosk, epoch, seq, the entry's fields and the time it
// arrived), for the authority's contact tracers. It returns how many it
// wrote. On PostgreSQL, point it at a read replica: it streams, and the
// servers' database is left to the kiosks.
func Export(ctx context.Context, w io.Writer, st Store, f Filter) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	n := 0
	err := st.Entries(ctx, f, func(r Record) error {
		n++
		return enc.Encode(r)
	})
	if err != nil {
		return n, fmt.Errorf("authority: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("authority: export: %w", err)
	}
	return n, nil
}

// WriteList writes the newest signed trust list a store holds (the JWS,
// as GET /v1/trustlist serves it) and returns it: for object storage
// behind a CDN, which then serves the herds of kiosks asking for it. The
// servers publish the versions; a job copies the newest out.
func WriteList(ctx context.Context, w io.Writer, st Store) (*List, error) {
	l, err := st.CurrentList(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("authority: the trust list: %w", err)
	}
	if l == nil {
		return nil, errors.New("authority: no trust list has been published yet")
	}
	if _, err := w.Write(l.Signed); err != nil {
		return nil, fmt.Errorf("authority: writing the trust list: %w", err)
	}
	return l, nil
}
