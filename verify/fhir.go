package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A health card's FHIR bundle, read for what the door needs: the patient's
// name and birth date for the ID check, the immunizations and lab results
// for the rules. The facts are put in DCC fields, so the venue's rules read
// a SMART Health Card as they read a DCC.

const shcCardType = "https://smarthealth.cards#health-card"

// covid19 is the DCC's target disease (tg) for COVID-19, SNOMED CT 840539006.
const covid19 = "840539006"

// Codes the rules know, from the systems health cards use. Vaccines are
// read in covid.go; tests are LOINC codes mapped to the DCC test types;
// results are SNOMED CT.
var (
	loincNAAT = map[string]bool{
		"94306-8": true, "94307-6": true, "94308-4": true, "94309-2": true, "94500-6": true, "94502-2": true,
		"94533-7": true, "94534-5": true, "94559-2": true, "94565-9": true, "94639-2": true, "94640-0": true,
		"94641-8": true, "94642-6": true, "94643-4": true, "94644-2": true, "94745-7": true, "94746-5": true,
		"94756-4": true, "94757-2": true, "94759-8": true, "94760-6": true, "94819-0": true, "94845-5": true,
		"95406-5": true, "95409-9": true, "95425-5": true, "96091-4": true, "96986-5": true, "96094-8": true,
	}
	loincAntigen = map[string]bool{
		"94558-4": true, "95209-3": true, "96119-3": true, "97097-0": true, "95416-4": true, "96757-0": true,
	}
	snomedResult = map[string]string{
		"260385009": "260415000", "260415000": "260415000", // negative, not detected
		"10828004": "260373001", "260373001": "260373001", // positive, detected
	}
)

const (
	loincSystem  = "http://loinc.org"
	snomedSystem = "http://snomed.info/sct"
)

type coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type codeable struct {
	Coding []coding `json:"coding"`
}

// code returns the first code of system in c.
func (c codeable) code(system string) string {
	for _, cd := range c.Coding {
		if cd.System == system {
			return cd.Code
		}
	}
	return ""
}

type fhirResource struct {
	ResourceType string `json:"resourceType"`
	// Patient
	Name []struct {
		Family json.RawMessage `json:"family"` // a string in R4; a list in cards made before it
		Given  []string        `json:"given"`
		Text   string          `json:"text"`
	} `json:"name"`
	BirthDate string `json:"birthDate"`
	// Immunization
	Status             string   `json:"status"`
	VaccineCode        codeable `json:"vaccineCode"`
	OccurrenceDateTime string   `json:"occurrenceDateTime"`
	// Observation
	Code                 codeable `json:"code"`
	ValueCodeableConcept codeable `json:"valueCodeableConcept"`
	EffectiveDateTime    string   `json:"effectiveDateTime"`
}

// readSHC reads a card's facts. It returns what it could read even when the
// card breaks the structure a health card must have, and says how.
func readSHC(p *shcPayload) (*Facts, error) {
	var problems []string
	if !slices.Contains(p.VC.Type, shcCardType) {
		problems = append(problems, "vc.type lacks "+shcCardType)
	}
	if p.VC.CredentialSubject.FHIRVersion == "" {
		problems = append(problems, "no fhirVersion")
	}
	if p.VC.Rid != "" && !isRID(p.VC.Rid) {
		// No revocation list can name such a rid: the card could never be
		// revoked.
		problems = append(problems, "rid is not 1 to 24 characters of the base64url alphabet")
	}
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource fhirResource `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(p.VC.CredentialSubject.FHIRBundle, &bundle); err != nil || bundle.ResourceType != "Bundle" {
		return nil, errors.New("no FHIR Bundle in the credential")
	}
	f := &Facts{Version: "shc " + p.VC.CredentialSubject.FHIRVersion}
	var shots, tests []fhirResource
	patients := 0
	for _, e := range bundle.Entry {
		r := e.Resource
		switch r.ResourceType {
		case "Patient":
			patients++
			if patients == 1 && len(r.Name) > 0 {
				n := r.Name[0]
				f.Surname = familyName(n.Family)
				f.Forename = strings.Join(n.Given, " ")
				if f.Surname == "" && f.Forename == "" {
					f.Forename = n.Text
				}
			}
			f.DateOfBirth = r.BirthDate
		case "Immunization":
			if r.Status == "completed" {
				shots = append(shots, r)
			}
		case "Observation":
			tests = append(tests, r)
		}
	}
	if patients > 1 {
		// A card without a Patient (a bare lab report) is allowed; the door
		// then has no name to match.
		problems = append(problems, fmt.Sprintf("%d patients; a card is about one", patients))
	}
	p2 := map[string]any{"ver": f.Version, "nam": map[string]any{"fn": f.Surname, "gn": f.Forename}, "dob": f.DateOfBirth}
	// The card is what it says about COVID-19: its vaccinations, else its
	// COVID-19 tests (a flu shot must not hide a PCR), else whatever it
	// holds, which the rules will find is not about COVID-19.
	var vacc, test map[string]any
	if len(shots) > 0 {
		vacc = vaccinationEntry(shots)
	}
	if len(tests) > 0 {
		test = testEntry(tests)
	}
	switch {
	case vacc != nil && vacc["tg"] != nil:
		f.Type, f.Entry = Vaccination, vacc
	case test != nil && test["tg"] != nil:
		f.Type, f.Entry = Test, test
	case vacc != nil:
		f.Type, f.Entry = Vaccination, vacc
	case test != nil:
		f.Type, f.Entry = Test, test
	default:
		problems = append(problems, "no immunization or lab result")
	}
	if f.Entry != nil {
		f.Entry["ci"] = p.VC.Rid
		p2[string(f.Type)] = []any{f.Entry}
	}
	f.Payload = p2
	if len(problems) > 0 {
		return f, errors.New(strings.Join(problems, "; "))
	}
	return f, nil
}

// vaccinationEntry puts a card's completed shots in a DCC vaccination
// entry. Only COVID-19 vaccines count (covid.go): dn is their number, the
// product (mp) and date (dt) are the latest one's, and sd the primary
// series of the first (one dose for Janssen and its kind, two otherwise).
// A card with no COVID-19 vaccine has an entry with dn 0 and no target
// disease, so the rules see a card that is not about COVID-19.
func vaccinationEntry(shots []fhirResource) map[string]any {
	sort.SliceStable(shots, func(i, j int) bool { return shots[i].OccurrenceDateTime < shots[j].OccurrenceDateTime })
	var first, last covidVaccine
	var lastCode, lastDate string
	doses := 0
	for _, s := range shots {
		v, code, ok := covidCoding(s.VaccineCode)
		if !ok {
			continue
		}
		if doses == 0 {
			first = v
		}
		doses++
		last, lastCode, lastDate = v, code, s.OccurrenceDateTime
	}
	if doses == 0 {
		// No product, no target disease: the rules see a vaccination that
		// is not against COVID-19.
		return map[string]any{"dn": int64(0), "sd": int64(2), "dt": dateOf(shots[len(shots)-1].OccurrenceDateTime)}
	}
	mp := last.product
	if mp == "" {
		mp = lastCode // a COVID-19 vaccine no rule knows
	}
	sd := 2
	if first.singleDose {
		sd = 1
	}
	return map[string]any{"tg": covid19, "mp": mp, "dn": int64(doses), "sd": int64(sd), "dt": dateOf(lastDate)}
}

// testEntry puts a card's latest COVID-19 lab result in a DCC test entry:
// a card may hold other results (example 02 is a full lab report), and a
// later cholesterol test must not hide a PCR. A card with no COVID-19 test
// has an entry for its latest result without a target disease.
func testEntry(tests []fhirResource) map[string]any {
	sort.SliceStable(tests, func(i, j int) bool { return tests[i].EffectiveDateTime < tests[j].EffectiveDateTime })
	var last *fhirResource
	tt := ""
	for i := range tests {
		switch loinc := tests[i].Code.code(loincSystem); {
		case loincNAAT[loinc]:
			last, tt = &tests[i], "LP6464-4"
		case loincAntigen[loinc]:
			last, tt = &tests[i], "LP217198-3"
		}
	}
	if last == nil {
		return map[string]any{"tr": "unknown", "sc": tests[len(tests)-1].EffectiveDateTime}
	}
	tr := snomedResult[last.ValueCodeableConcept.code(snomedSystem)]
	if tr == "" {
		tr = "unknown"
	}
	return map[string]any{"tg": covid19, "tt": tt, "tr": tr, "sc": last.EffectiveDateTime}
}

// dateOf is the date of a FHIR dateTime (YYYY-MM-DD...).
func dateOf(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

func familyName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, " ")
	}
	return ""
}
