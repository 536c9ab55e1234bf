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

// Codes the rules know, from the systems health cards use. Products are
// CVX codes mapped to the EU product codes (the value sets' "mp"); tests
// are LOINC codes mapped to the DCC test types; results are SNOMED CT.
var (
	cvxProduct = map[string]string{
		"207": "EU/1/20/1507", "221": "EU/1/20/1507", "227": "EU/1/20/1507", "228": "EU/1/20/1507",
		"229": "EU/1/20/1507", "230": "EU/1/20/1507", // Moderna (Spikevax)
		"208": "EU/1/20/1528", "217": "EU/1/20/1528", "218": "EU/1/20/1528", "219": "EU/1/20/1528",
		"300": "EU/1/20/1528", "301": "EU/1/20/1528", "302": "EU/1/20/1528", // Pfizer-BioNTech (Comirnaty)
		"210": "EU/1/21/1529", // AstraZeneca (Vaxzevria)
		"212": "EU/1/20/1525", // Janssen (Jcovden)
		"211": "EU/1/21/1618", // Novavax (Nuvaxovid)
		"502": "Covaxin", "505": "Sputnik-V", "504": "Sputnik-Light", "506": "Convidecia",
		"510": "BBIBP-CorV", "511": "CoronaVac",
	}
	cvxSingleDose = map[string]bool{"212": true}

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
	cvxSystem    = "http://hl7.org/fhir/sid/cvx"
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
	if len(p.VC.Rid) > maxRIDLength {
		problems = append(problems, "rid longer than 24 characters")
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
	switch {
	case len(shots) > 0:
		f.Type, f.Entry = Vaccination, vaccinationEntry(shots)
	case len(tests) > 0:
		f.Type, f.Entry = Test, testEntry(tests)
	default:
		problems = append(problems, "no immunization or lab result")
	}
	if f.Entry != nil {
		f.Entry["tg"] = "840539006" // health cards of these types are about COVID-19
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
// entry: the latest shot, with dn the number of doses and sd the primary
// series (one dose for Janssen, two otherwise).
func vaccinationEntry(shots []fhirResource) map[string]any {
	sort.SliceStable(shots, func(i, j int) bool { return shots[i].OccurrenceDateTime < shots[j].OccurrenceDateTime })
	last := shots[len(shots)-1]
	cvx := last.VaccineCode.code(cvxSystem)
	mp := cvxProduct[cvx]
	if mp == "" {
		mp = "CVX:" + cvx // no rule knows it: an unrecognised vaccine
	}
	sd := 2
	if cvxSingleDose[shots[0].VaccineCode.code(cvxSystem)] {
		sd = 1
	}
	return map[string]any{"mp": mp, "dn": int64(len(shots)), "sd": int64(sd), "dt": dateOf(last.OccurrenceDateTime)}
}

// testEntry puts the latest lab result in a DCC test entry.
func testEntry(tests []fhirResource) map[string]any {
	sort.SliceStable(tests, func(i, j int) bool { return tests[i].EffectiveDateTime < tests[j].EffectiveDateTime })
	last := tests[len(tests)-1]
	loinc := last.Code.code(loincSystem)
	tt := "LOINC:" + loinc
	switch {
	case loincNAAT[loinc]:
		tt = "LP6464-4"
	case loincAntigen[loinc]:
		tt = "LP217198-3"
	}
	tr := snomedResult[last.ValueCodeableConcept.code(snomedSystem)]
	if tr == "" {
		tr = "unknown"
	}
	return map[string]any{"tt": tt, "tr": tr, "sc": last.EffectiveDateTime}
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
