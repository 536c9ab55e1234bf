package trustsrc_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"munjigi/demo"
	"munjigi/trustsrc"
	"munjigi/verify"
)

// An EU gateway trust list (unsigned, so accepted only when asked) with a
// document signer and a CSCA: the DSC becomes a dsc entry, the CSCA is
// reported. The list goes to one writer (standard output for the command),
// the report to another (standard error).
func ExampleConvert() {
	der := demo.Signer().Certificate()
	sum := sha256.Sum256(der)
	src := fmt.Sprintf(`[
 {"kid":%q,"timestamp":"2022-08-17T10:14:01+02:00","country":"KR","certificateType":"DSC","thumbprint":%q,"signature":"","rawData":%q},
 {"kid":"AAAAAAAAAAA=","timestamp":"2022-08-17T10:14:01+02:00","country":"KR","certificateType":"CSCA","thumbprint":"","signature":"","rawData":""}
]`, base64.StdEncoding.EncodeToString(verify.KeyID(der)), hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(der))

	rep, err := trustsrc.Convert(io.Discard, trustsrc.DCCG, strings.NewReader(src), trustsrc.Verification{AllowUnsigned: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep.WriteText(os.Stdout)
	// Output:
	// dccg: unsigned: accepted as asked (--allow-unsigned); the entries' own CMS signatures are not checked
	// 2 entries read, 1 document signers kept (1 countries)
	// 1 skipped, 0 normalised, 0 warnings
	// skipped entry[1] (KR kid AAAAAAAAAAA=): certificateType CSCA is not a document signer (DSC)
}
