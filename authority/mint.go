package authority

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"munjigi/upstream"
)

// Mint asks a server for a demo token (POST /v1/tokens) with the minting
// credential (Config.MintCredential): 'munjigi upstream token' and the
// demo's lunch rush.
func Mint(ctx context.Context, base, credential string, req upstream.MintRequest) (upstream.MintReply, error) {
	var out upstream.MintReply
	body, err := json.Marshal(req)
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(base, "/")+upstream.PathTokenMint, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	hr.Header.Set("Content-Type", "application/json")
	if credential != "" {
		hr.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("the mint reply: %w", err)
	}
	return out, nil
}
