package verify

// Which immunizations on a health card are COVID-19 vaccinations. A card
// lists every immunization its issuer holds (flu, MMR, ...), and only the
// COVID-19 ones are doses of a COVID-19 series: counting the others made a
// flu shot and one Pfizer dose a complete series.
//
// Sources, one per code system the SMART Health Cards vaccination profiles
// allow (HL7 "SMART Health Cards: Vaccination & Testing" IG; the VCI value
// set "Immunization / COVID / All codes",
// https://terminology.smarthealth.cards/ValueSet/immunization-covid-all,
// version 20230616, which combines the three below):
//
//   - CVX (http://hl7.org/fhir/sid/cvx): the COVID-19 entries of the CDC's
//     CVX table, https://www2a.cdc.gov/vaccines/iis/iisstandards/vaccines.asp?rpt=cvx
//     ("SARS-COV-2 (COVID-19) vaccine ..."): 207, 208, 210, 211, 212, 213
//     (unspecified), 217-219, 221, 225-230, 300-302, the 2023-2024 formulas
//     308-313, and the non-US products 500 (product unknown) to 520.
//   - SNOMED CT (http://snomed.info/sct): the VCI value set
//     immunization-covid-snomed, codes from several national extensions.
//   - ICD-11 MMS (http://id.who.int/icd11/mms, also written
//     http://id.who.int/icd/release/11/mms): XM68M6 "COVID-19 vaccines"
//     and its descendants, the VCI value set immunization-covid-icd11.
//
// The lists are a snapshot: a code not listed is not counted, so a new
// COVID-19 vaccine code makes a card look less vaccinated (a manual check
// or a refusal), never more. Refresh them from the sources above.

// The code systems a card's vaccineCode may use.
const (
	cvxSystem     = "http://hl7.org/fhir/sid/cvx"
	icd11System   = "http://id.who.int/icd11/mms"
	icd11SystemV2 = "http://id.who.int/icd/release/11/mms"
)

// covidVaccine is what the rules need to know of one COVID-19 vaccine code:
// the EU value set's product ("mp"; "" when the value sets have none) and
// whether one dose completes its primary series.
type covidVaccine struct {
	product    string
	singleDose bool
}

// Products, as the EU DCC value set vaccine-medicinal-product names them.
const (
	comirnaty     = "EU/1/20/1528"
	spikevax      = "EU/1/20/1507"
	vaxzevria     = "EU/1/21/1529"
	jcovden       = "EU/1/20/1525"
	nuvaxovid     = "EU/1/21/1618"
	valneva       = "EU/1/21/1624"
	covishield    = "Covishield"
	covaxin       = "Covaxin"
	sputnikV      = "Sputnik-V"
	sputnikLight  = "Sputnik-Light"
	convidecia    = "Convidecia"
	bbibp         = "BBIBP-CorV"
	wibp          = "WIBP-CorV"
	coronaVac     = "CoronaVac"
	epiVacCorona  = "EpiVacCorona"
	covifenz      = "Covifenz"
	covovax       = "Covovax"
	mvcCov1901    = "MVC-COV1901"
	abdala        = "Abdala"
	coviVac       = "CoviVac"
	soberana02    = "Soberana-02"
	soberanaPlus  = "Soberana-Plus"
	epiVacCoronaN = "EpiVacCorona-N"
	hayatVax      = "Hayat-Vax"
)

// single is a vaccine whose primary series is one dose, series one of two.
func single(product string) covidVaccine { return covidVaccine{product: product, singleDose: true} }
func series(product string) covidVaccine { return covidVaccine{product: product} }

// anyV is a COVID-19 vaccine the value sets do not name.
var anyV = covidVaccine{}

// covidCVX are the CDC CVX table's COVID-19 vaccines.
var covidCVX = map[string]covidVaccine{
	"207": series(spikevax), "221": series(spikevax), "227": series(spikevax), "228": series(spikevax),
	"229": series(spikevax), "230": series(spikevax), "311": series(spikevax), "312": series(spikevax),
	"208": series(comirnaty), "217": series(comirnaty), "218": series(comirnaty), "219": series(comirnaty),
	"300": series(comirnaty), "301": series(comirnaty), "302": series(comirnaty),
	"308": series(comirnaty), "309": series(comirnaty), "310": series(comirnaty),
	"210": series(vaxzevria),
	"212": single(jcovden),
	"211": series(nuvaxovid), "313": series(nuvaxovid),
	"213": anyV,              // SARS-COV-2 (COVID-19) vaccine, unspecified
	"225": anyV, "226": anyV, // Sanofi D614 (not the authorised VidPrevtyn Beta)
	"500": anyV, // non-US vaccine, product unknown
	"501": anyV, // QazCovid-in
	"502": series(covaxin),
	"503": anyV, // COVIVAC
	"504": single(sputnikLight),
	"505": series(sputnikV),
	"506": single(convidecia),
	"507": anyV, // Zifivax (Anhui Zhifei Longcom)
	"508": anyV, // Jiangsu CDC protein subunit
	"509": series(epiVacCorona),
	"510": series(bbibp),
	"511": series(coronaVac),
	"512": series(covifenz),
	"513": anyV, // Zifivax
	"514": anyV, // ZyCoV-D
	"515": series(mvcCov1901),
	"516": anyV, // KCONVAC
	"517": anyV, // Corbevax
	"518": series(valneva),
	"519": series(spikevax),  // Spikevax bivalent, original/BA.1
	"520": series(comirnaty), // Comirnaty bivalent, original/BA.1
}

// covidSNOMED is the VCI value set immunization-covid-snomed. Products are
// named where the code names one.
var covidSNOMED = map[string]covidVaccine{
	// namespace 1000172
	"1031000172108": series(comirnaty), "10871000172106": series(spikevax),
	"10891000172107": series(vaxzevria), "10901000172106": single(jcovden),
	// namespace 1000220
	"125071000220108": series(comirnaty), "125081000220106": series(comirnaty),
	"125091000220109": series(comirnaty), "125101000220104": series(comirnaty),
	"125111000220101": series(spikevax), "125121000220108": series(spikevax),
	"1401000220108": series(vaxzevria), "1411000220106": series(comirnaty),
	"1421000220104": series(spikevax), "62051000220105": single(jcovden),
	// namespace 1000087
	"28571000087109": series(spikevax), "28581000087106": series(comirnaty),
	"28761000087108": series(vaxzevria), "28951000087107": single(jcovden),
	"28961000087105": series(covishield), "29171000087106": series(nuvaxovid),
	"30151000087105": series(covifenz), "31301000087101": series(bbibp),
	"31311000087104": series(coronaVac), "31341000087103": series(sputnikV),
	"31431000087100": single(convidecia), "33201000087108": series(wibp),
	"33211000087105": series(covaxin), "33221000087102": anyV, // CureVac
	"33361000087101": series(comirnaty), "33391000087109": series(abdala),
	"33401000087107": anyV, // COVIran Barekat
	"33411000087109": series(coviVac), "33421000087101": series(epiVacCorona),
	"33431000087104": anyV,                                       // KCONVAC
	"33441000087105": series(mvcCov1901), "33451000087108": anyV, // QazCovid-in
	"33461000087106": single(sputnikLight), "33471000087102": anyV, // Zifivax
	"33581000087104": anyV, // paediatric mRNA, unspecified
	"33881000087102": series(comirnaty), "34591000087100": series(soberana02),
	"34601000087108": anyV, // SpikoGen
	"34611000087105": series(comirnaty), "34921000087108": series(covovax),
	"35651000087105": series(spikevax), "37311000087109": series(spikevax),
	"37651000087101": series(spikevax),
	// namespace 1000221
	"384671000221101": series(bbibp), "399651000221108": anyV, "399661000221105": anyV,
	"399681000221103": anyV, "399691000221100": anyV, "399701000221100": anyV,
	"399771000221108": series(covishield), "399781000221106": series(vaxzevria),
	"399801000221105": series(sputnikV), "399811000221108": series(sputnikV),
	"399821000221103": single(jcovden), "399861000221106": anyV, "399871000221102": anyV,
	"399881000221104": anyV, "399891000221101": series(spikevax), "399901000221102": series(spikevax),
	"399911000221104": series(comirnaty), "424531000221101": anyV, "424541000221108": anyV,
	"424551000221105": series(bbibp), "424561000221107": anyV, "424571000221103": series(vaxzevria),
	"424581000221100": series(covishield), "424591000221102": single(jcovden), "424601000221107": anyV,
	"424611000221105": anyV, "424621000221100": anyV, "424631000221102": anyV,
	"424641000221109": series(sputnikV), "424651000221106": series(sputnikV), "424661000221108": series(sputnikV),
	"424671000221104": series(sputnikV), "424681000221101": anyV, "424691000221103": anyV,
	"424701000221103": anyV, "424711000221100": series(sputnikV), "424721000221105": anyV,
	"424731000221108": series(spikevax), "424741000221101": anyV, "424751000221104": series(comirnaty),
	"424781000221109": single(convidecia), "424791000221107": single(convidecia), "424801000221108": anyV,
	"424821000221103": single(sputnikLight), "424831000221103": series(nuvaxovid), "424971000221108": anyV,
	"425001000221100": series(sputnikV), "425011000221102": series(sputnikV), "425031000221105": series(vaxzevria),
	"425051000221101": anyV,
}

// covidICD11 is XM68M6 "COVID-19 vaccines" and its descendants in ICD-11
// MMS (VCI value set immunization-covid-icd11, 2023-01 release).
var covidICD11 = map[string]covidVaccine{
	"XM68M6": anyV,                                                       // COVID-19 vaccines
	"XM1NL1": anyV,                                                       // inactivated virus
	"XM7HT3": series(coronaVac), "XM8866": series(bbibp), "XM9TQ1": anyV, // KCONVAC
	"XM1G90": series(covaxin), "XM85P5": series(coviVac), "XM9FQ7": series(hayatVax),
	"XM97N6": anyV, "XM2YG8": anyV, "XM0K39": anyV, "XM1AU2": series(wibp),
	"XM5DF6": anyV, // live attenuated virus
	"XM9QW8": anyV, // non-replicating viral vector
	"XM4YL8": series(vaxzevria), "XM97T2": series(covishield), "XM6QV1": single(jcovden),
	"XM1AG7": single(convidecia), "XM5ZJ4": series(sputnikV), "XM5QM6": single(sputnikLight),
	"XM0CX4": anyV, // replicating viral vector
	"XM5JC5": anyV, // virus protein subunit
	"XM3CT4": anyV, "XM3PG0": series(soberana02), "XM4EC8": series(mvcCov1901),
	"XM6SZ8": series(epiVacCorona), "XM0RV9": series(soberanaPlus), "XM3SK8": series(epiVacCoronaN), "XM9P21": anyV,
	"XM9T65": series(nuvaxovid), "XM9N08": anyV,
	"XM1J92": anyV,                 // virus like particle
	"XM6AT1": anyV, "XM52P3": anyV, // DNA based; ZyCoV-D
	"XM0GQ8": anyV, // RNA based
	"XM8NQ0": series(comirnaty), "XM3DT5": series(spikevax),
}

// covidCoding finds the first coding of c that names a COVID-19 vaccine,
// and returns it with its code written "SYSTEM:code" for a product the
// value sets do not name.
func covidCoding(c codeable) (v covidVaccine, code string, ok bool) {
	for _, cd := range c.Coding {
		var table map[string]covidVaccine
		var name string
		switch cd.System {
		case cvxSystem:
			table, name = covidCVX, "CVX"
		case snomedSystem:
			table, name = covidSNOMED, "SNOMED"
		case icd11System, icd11SystemV2:
			table, name = covidICD11, "ICD11"
		default:
			continue
		}
		if v, ok := table[cd.Code]; ok {
			return v, name + ":" + cd.Code, true
		}
	}
	return covidVaccine{}, "", false
}
