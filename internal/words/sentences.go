package words

// pair is a sentence in English and in Korean: fmt formats with the same
// values, which the Korean may take in another order (%[2]s before
// %[1]s). Korean is written in the 합니다 style the screen uses; names of
// keys, files and commands stay as they are, so a particle after one is
// avoided (a colon, or 값이 ...입니다) rather than guessed.
type pair struct{ en, ko string }

// Where a mistake is, and several of them.
const (
	AtLine   Key = "AtLine"
	InFile   Key = "InFile"
	InVar    Key = "InVar"
	InFlag   Key = "InFlag"
	Mistakes Key = "Mistakes"
	One      Key = "One"
	Or       Key = "Or"
	AList    Key = "AList"
)

// A configuration file that cannot be used.
const (
	ConfigMissing     Key = "ConfigMissing"
	ConfigDenied      Key = "ConfigDenied"
	ConfigUnreadable  Key = "ConfigUnreadable"
	ConfigIsDir       Key = "ConfigIsDir"
	ConfigTooLarge    Key = "ConfigTooLarge"
	ConfigEmpty       Key = "ConfigEmpty"
	ConfigNotText     Key = "ConfigNotText"
	ConfigNotSettings Key = "ConfigNotSettings"
	YAMLTab           Key = "YAMLTab"
	YAMLBad           Key = "YAMLBad"
	HintYAML          Key = "HintYAML"
	HintColon         Key = "HintColon"
	HintStartChar     Key = "HintStartChar"
	HintUnclosed      Key = "HintUnclosed"
	HintIndent        Key = "HintIndent"
)

// Keys that are not, and values of the wrong kind.
const (
	KeyTwice           Key = "KeyTwice"
	SectionNotValue    Key = "SectionNotValue"
	ValueNotSection    Key = "ValueNotSection"
	UnknownKeyNear     Key = "UnknownKeyNear"
	UnknownKey         Key = "UnknownKey"
	UnknownKeyIn       Key = "UnknownKeyIn"
	UnknownSectionNear Key = "UnknownSectionNear"
	UnknownSection     Key = "UnknownSection"
	DurationNoUnit     Key = "DurationNoUnit"
	WantDays           Key = "WantDays"
	WantWhole          Key = "WantWhole"
	WantBool           Key = "WantBool"
	WantDuration       Key = "WantDuration"
	WantList           Key = "WantList"
	WantText           Key = "WantText"
)

// Values munjigi cannot act on.
const (
	LanguageBad    Key = "LanguageBad"
	LanguageNear   Key = "LanguageNear"
	TimezoneBad    Key = "TimezoneBad"
	IntRange       Key = "IntRange"
	ReuseRange     Key = "ReuseRange"
	DurationRange  Key = "DurationRange"
	OneOf          Key = "OneOf"
	StorePathEmpty Key = "StorePathEmpty"
	WedgeQuietBad  Key = "WedgeQuietBad"
	ProfileBad     Key = "ProfileBad"
	PINBad         Key = "PINBad"
	PINTwice       Key = "PINTwice"
	PatternBad     Key = "PatternBad"
	URLBad         Key = "URLBad"
	URLUnusable    Key = "URLUnusable"
	TrustKeyEmpty  Key = "TrustKeyEmpty"
	TrustKeyBad    Key = "TrustKeyBad"
	SerialBad      Key = "SerialBad"
	PortEmpty      Key = "PortEmpty"
	FileEmpty      Key = "FileEmpty"
)

// Files the system could not use (Say tells an *fs.PathError with them).
const (
	FileMissing  Key = "FileMissing"
	FileDenied   Key = "FileDenied"
	FileIsDir    Key = "FileIsDir"
	FileNotDir   Key = "FileNotDir"
	FileReadOnly Key = "FileReadOnly"
	FileNoSpace  Key = "FileNoSpace"
)

// The command line: an error's usage hint, and what a command lacks.
const (
	Usage              Key = "Usage"
	SayCheck           Key = "SayCheck"
	NoTerminal         Key = "NoTerminal"
	KioskNeedsTerminal Key = "KioskNeedsTerminal"
	DayBad             Key = "DayBad"
)

// doctor: what it checks, and what it finds.
const (
	ItemConfig           Key = "ItemConfig"
	ItemScanner          Key = "ItemScanner"
	ItemDatabase         Key = "ItemDatabase"
	ItemTrust            Key = "ItemTrust"
	ItemUpstream         Key = "ItemUpstream"
	ItemClock            Key = "ItemClock"
	ItemTerminal         Key = "ItemTerminal"
	ItemLog              Key = "ItemLog"
	DoctorDefaults       Key = "DoctorDefaults"
	DoctorFixConfig      Key = "DoctorFixConfig"
	DoctorNotReadyOne    Key = "DoctorNotReadyOne"
	DoctorNotReadyMany   Key = "DoctorNotReadyMany"
	DoctorReady          Key = "DoctorReady"
	ScannerNotFound      Key = "ScannerNotFound"
	ScannerOpens         Key = "ScannerOpens"
	ScannerCannotOpen    Key = "ScannerCannotOpen"
	ScannerReads         Key = "ScannerReads"
	ScannerKeyboard      Key = "ScannerKeyboard"
	ScannerKeyboardNoTTY Key = "ScannerKeyboardNoTTY"
	DBWillCreate         Key = "DBWillCreate"
	DBCannotCreate       Key = "DBCannotCreate"
	DBDamagedAside       Key = "DBDamagedAside"
	DBRunning            Key = "DBRunning"
	DBSound              Key = "DBSound"
	DBNotWritable        Key = "DBNotWritable"
	TrustStoredBad       Key = "TrustStoredBad"
	UpstreamAnswers      Key = "UpstreamAnswers"
	UpstreamSilent       Key = "UpstreamSilent"
	TrustNone            Key = "TrustNone"
	TrustExpired         Key = "TrustExpired"
	TrustStale           Key = "TrustStale"
	TrustKeys            Key = "TrustKeys"
	ClockUntrusted       Key = "ClockUntrusted"
	ClockNotSet          Key = "ClockNotSet"
	ClockWentBack        Key = "ClockWentBack"
	ClockJumped          Key = "ClockJumped"
	ClockOffServer       Key = "ClockOffServer"
	TermService          Key = "TermService"
	TermServiceBad       Key = "TermServiceBad"
	TermNone             Key = "TermNone"
	TermNoHangul         Key = "TermNoHangul"
	TermNoColour         Key = "TermNoColour"
	TermOK               Key = "TermOK"
	Colours16            Key = "Colours16"
	Colours256           Key = "Colours256"
	ColoursTrue          Key = "ColoursTrue"
	TermLocale           Key = "TermLocale"
	LogNotWritable       Key = "LogNotWritable"
)

// config check: what the configuration says.
const (
	ConfigOK        Key = "ConfigOK"
	ConfigDefaults  Key = "ConfigDefaults"
	LabelVenue      Key = "LabelVenue"
	LabelRules      Key = "LabelRules"
	LabelScanner    Key = "LabelScanner"
	LabelEntryLog   Key = "LabelEntryLog"
	LabelUpstream   Key = "LabelUpstream"
	LabelLog        Key = "LabelLog"
	CheckVenue      Key = "CheckVenue"
	CheckEntryLog   Key = "CheckEntryLog"
	CheckNoUpstream Key = "CheckNoUpstream"
	CheckUpstream   Key = "CheckUpstream"
	ScannerSerial   Key = "ScannerSerial"
	ScannerFile     Key = "ScannerFile"
	ScannerStdin    Key = "ScannerStdin"
	PolicyBad       Key = "PolicyBad"
	TrustFilesBad   Key = "TrustFilesBad"
	TrustFileDir    Key = "TrustFileDir"
	TrustFileEmpty  Key = "TrustFileEmpty"
	TrustFileTooBig Key = "TrustFileTooBig"
	TrustFileGrew   Key = "TrustFileGrew"
)

// db check, stats.
const (
	DBCheckOK       Key = "DBCheckOK"
	DBCheckInUse    Key = "DBCheckInUse"
	DBCheckDamaged  Key = "DBCheckDamaged"
	DBCheckCannot   Key = "DBCheckCannot"
	StatsDay        Key = "StatsDay"
	StatsMisreads   Key = "StatsMisreads"
	VerdictPass     Key = "VerdictPass"
	VerdictFail     Key = "VerdictFail"
	VerdictManual   Key = "VerdictManual"
	MethodQR        Key = "MethodQR"
	MethodSticker   Key = "MethodSticker"
	MethodSMS       Key = "MethodSMS"
	MethodPaper     Key = "MethodPaper"
	MethodExempt    Key = "MethodExempt"
	MethodOverride  Key = "MethodOverride"
	MethodUnsettled Key = "MethodUnsettled"
	MethodGap       Key = "MethodGap"
)

// The door as it starts.
const (
	InUse            Key = "InUse"
	InUseBy          Key = "InUseBy"
	DBDamagedStuck   Key = "DBDamagedStuck"
	DBMovedAside     Key = "DBMovedAside"
	DBOpenStuck      Key = "DBOpenStuck"
	DBOpenMovedAside Key = "DBOpenMovedAside"
	DBReadOnly       Key = "DBReadOnly"
	StoredListBad    Key = "StoredListBad"
	LogCannotOpen    Key = "LogCannotOpen"
	LogOff           Key = "LogOff"
	ScannerWaiting   Key = "ScannerWaiting"
	ScannerConnected Key = "ScannerConnected"
)

// sentences are every sentence, by key: both languages side by side.
var sentences = map[Key]pair{
	AtLine:   {"%[1]s, line %[2]d: %[3]s", "%[1]s %[2]d번째 줄: %[3]s"},
	InFile:   {"%[1]s: %[2]s", "%[1]s: %[2]s"},
	InVar:    {"%[1]s: %[2]s", "%[1]s: %[2]s"},
	InFlag:   {"%[1]s: %[2]s", "%[1]s: %[2]s"},
	Mistakes: {"%[1]d mistakes in the configuration:\n%[2]s", "설정에 잘못된 곳이 %[1]d군데 있습니다:\n%[2]s"},
	One:      {"%[1]s", "%[1]s"},
	Or:       {"%[1]s or %[2]s", "%[1]s 또는 %[2]s"},
	AList:    {"a list", "목록"},

	ConfigMissing: {"no such file (give --config the right path, or set MUNJIGI_CONFIG=none to run on the defaults)",
		"파일이 없습니다 (--config에 맞는 경로를 주거나, 기본값으로 실행하려면 MUNJIGI_CONFIG=none)"},
	ConfigDenied: {"permission denied: munjigi runs as %[1]s, who may not read it (chmod 0644 the file, or chown it to %[1]s)",
		"읽을 권한이 없습니다: munjigi는 %[1]s 사용자로 실행 중인데 이 파일을 읽을 수 없습니다 (chmod 0644, 또는 chown %[1]s)"},
	ConfigUnreadable: {"cannot be read: %[1]s", "읽을 수 없습니다: %[1]s"},
	ConfigIsDir: {"is a folder, not a file: name the file in it (like %[1]s/config.yaml)",
		"파일이 아니라 폴더입니다: 그 안의 파일을 지정하세요 (예: %[1]s/config.yaml)"},
	ConfigTooLarge: {"is larger than a configuration can be (over %[1]d KiB): is it the right file?",
		"설정 파일이라기에는 너무 큽니다 (%[1]d KiB 초과): 맞는 파일인가요?"},
	ConfigEmpty: {"the file is empty: write the settings in it (the shipped config.yaml has every one, with its default), or set MUNJIGI_CONFIG=none to run on the defaults",
		"파일이 비어 있습니다: 설정을 적어 넣거나 (함께 나온 config.yaml에 모든 설정과 기본값이 있습니다), 기본값으로 실행하려면 MUNJIGI_CONFIG=none"},
	ConfigNotText: {"is not text (it holds zero bytes): is it the right file? A configuration is YAML, like the shipped config.yaml",
		"텍스트가 아닙니다 (0 바이트가 들어 있습니다): 맞는 파일인가요? 설정 파일은 함께 나온 config.yaml 같은 YAML입니다"},
	ConfigNotSettings: {"the file must hold settings as key: value lines, like language: ko",
		"설정은 language: ko 처럼 '키: 값' 줄로 적어야 합니다"},
	YAMLTab: {"the line is indented with a tab: YAML indents with spaces only (replace the tab with spaces)",
		"탭으로 들여쓴 줄입니다: YAML은 공백(스페이스)으로만 들여씁니다 (탭을 공백으로 바꾸세요)"},
	YAMLBad:  {"not valid YAML (%[1]s): %[2]s", "YAML 문법 오류입니다 (%[1]s): %[2]s"},
	HintYAML: {"compare it with the same lines of the shipped config.yaml", "함께 나온 config.yaml의 같은 부분과 비교해 보세요"},
	HintColon: {`a value with ": " in it must be in quotes (name: "Cafe: Seoul"), or the line is indented deeper than its neighbours`,
		`값에 ": "가 들어 있으면 따옴표로 감싸야 합니다 (name: "카페: 서울"). 아니면 이 줄이 위아래 줄보다 깊이 들여쓰여 있습니다`},
	HintStartChar: {"a value cannot start with @, ` or %%: put it in quotes",
		"값은 @, `, %% 로 시작할 수 없습니다: 따옴표로 감싸세요"},
	HintUnclosed: {"a quote, [ or { is opened and not closed", "따옴표나 [ 또는 { 를 열고 닫지 않았습니다"},
	HintIndent: {"the indentation does not line up: the keys of one section start in the same column",
		"들여쓰기가 맞지 않습니다: 한 섹션의 키는 같은 칸에서 시작해야 합니다"},

	KeyTwice: {"%[1]s is set twice (lines %[2]d and %[3]d): keep one",
		"%[1]s 설정이 두 번 있습니다 (%[2]d번째 줄과 %[3]d번째 줄): 하나만 남기세요"},
	SectionNotValue: {"%[1]s is a section, not a value: it holds %[2]s",
		"%[1]s: 값이 아니라 섹션입니다. 그 아래에 들어갈 설정: %[2]s"},
	ValueNotSection: {"%[1]s takes a value, not a section: write it on one line, like %[2]s",
		"%[1]s: 섹션이 아니라 값 하나를 씁니다. 한 줄로 적으세요 (예: %[2]s)"},
	UnknownKeyNear:     {"%[1]s is not a setting: did you mean %[2]s?", "%[1]s: 없는 설정입니다. 혹시 %[2]s인가요?"},
	UnknownKey:         {"%[1]s is not a setting (the shipped config.yaml lists every one)", "%[1]s: 없는 설정입니다 (함께 나온 config.yaml에 모든 설정이 있습니다)"},
	UnknownKeyIn:       {"%[1]s is not a setting; %[2]s has %[3]s", "%[1]s: 없는 설정입니다. %[2]s에 있는 설정: %[3]s"},
	UnknownSectionNear: {"%[1]s is not a section: did you mean %[2]s?", "%[1]s: 없는 섹션입니다. 혹시 %[2]s인가요?"},
	UnknownSection:     {"%[1]s is not a section; the sections are %[2]s", "%[1]s: 없는 섹션입니다. 섹션은 %[2]s입니다"},
	DurationNoUnit: {"%[1]s: %[2]s has no unit: write %[3]s (ms, s, m or h)",
		"%[1]s: %[2]s에 단위가 없습니다. %[3]s 처럼 단위를 붙이세요 (ms, s, m, h)"},
	WantDays:     {"%[1]s must be a whole number of days, like %[2]s (not %[3]s)", "%[1]s: 일수를 정수로 적어야 합니다 (예: %[2]s, 지금 값: %[3]s)"},
	WantWhole:    {"%[1]s must be a whole number, like %[2]s (not %[3]s)", "%[1]s: 정수여야 합니다 (예: %[2]s, 지금 값: %[3]s)"},
	WantBool:     {"%[1]s must be true or false (not %[2]s)", "%[1]s: true 또는 false여야 합니다 (지금 값: %[2]s)"},
	WantDuration: {"%[1]s must be a time with its unit, like %[2]s: ms, s, m or h (not %[3]s)", "%[1]s: 단위가 붙은 시간이어야 합니다 (예: %[2]s, 단위는 ms, s, m, h; 지금 값: %[3]s)"},
	WantList:     {"%[1]s must be a list: write %[2]s", "%[1]s: 목록이어야 합니다. %[2]s 처럼 적으세요"},
	WantText:     {"%[1]s must be a single value, like %[2]s (not %[3]s)", "%[1]s: 값 하나여야 합니다 (예: %[2]s, 지금 값: %[3]s)"},

	LanguageBad:  {"language is %[1]q; it must be one of %[2]s", "language 값이 %[1]q입니다. %[2]s 중 하나여야 합니다"},
	LanguageNear: {"language is %[1]q; it must be one of %[2]s: did you mean %[3]s?", "language 값이 %[1]q입니다. %[2]s 중 하나여야 합니다. 혹시 %[3]s인가요?"},
	TimezoneBad:  {"venue.timezone %[1]q is not a time zone (like Asia/Seoul or UTC)", "venue.timezone 값이 %[1]q입니다. 시간대 이름이어야 합니다 (예: Asia/Seoul, UTC)"},
	IntRange:     {"%[1]s is %[2]d; it must be %[3]d to %[4]d", "%[1]s 값이 %[2]d입니다. %[3]d에서 %[4]d 사이여야 합니다"},
	ReuseRange:   {"gate.reuse_window is %[1]s; it must be 0 (off) to %[2]s", "gate.reuse_window 값이 %[1]s입니다. 0(끔)에서 %[2]s 사이여야 합니다"},
	DurationRange: {"%[1]s is %[2]s; it must be %[3]s to %[4]s",
		"%[1]s 값이 %[2]s입니다. %[3]s에서 %[4]s 사이여야 합니다"},
	OneOf:          {"%[1]s is %[2]q; it must be one of %[3]s", "%[1]s 값이 %[2]q입니다. %[3]s 중 하나여야 합니다"},
	StorePathEmpty: {"store.path is empty; it must name the database file", "store.path가 비어 있습니다. 데이터베이스 파일을 지정해야 합니다"},
	WedgeQuietBad: {"kiosk.wedge_quiet is %[1]s; it must be 0 (three times wedge_gap, 150ms at the least), or from %[2]s (twice wedge_gap, 100ms at the least) to 2s",
		"kiosk.wedge_quiet 값이 %[1]s입니다. 0(wedge_gap의 세 배, 최소 150ms)이거나 %[2]s(wedge_gap의 두 배, 최소 100ms)에서 2s 사이여야 합니다"},
	ProfileBad: {"policy.profile is %[1]q; it must be one of %[2]s, or none", "policy.profile 값이 %[1]q입니다. %[2]s 중 하나이거나 none이어야 합니다"},
	PINBad: {"kiosk.staff_pins, entry %[1]d: each must be ID:PIN, a PIN of 4 to 12 digits (like kim:2468)",
		"kiosk.staff_pins의 %[1]d번째 항목: ID:PIN 형식이어야 하고 PIN은 4~12자리 숫자입니다 (예: kim:2468)"},
	PINTwice: {"kiosk.staff_pins gives one PIN to two people, %[1]s and %[2]s: each needs their own",
		"kiosk.staff_pins에서 %[1]s, %[2]s 두 사람의 PIN이 같습니다: 사람마다 달라야 합니다"},
	PatternBad: {"upstream.token_patterns: %[1]q is not a regular expression (%[2]s)", "upstream.token_patterns: %[1]q: 정규식으로 읽을 수 없습니다 (%[2]s)"},
	URLBad: {"upstream.url %[1]q is not a web address: write it like https://pass.example.kr",
		"upstream.url 값이 %[1]q입니다. https://pass.example.kr 같은 웹 주소여야 합니다"},
	URLUnusable: {"upstream.url %[1]q cannot be used: %[2]s", "upstream.url 값 %[1]q: 쓸 수 없습니다 (%[2]s)"},
	TrustKeyEmpty: {"upstream.trust_key is empty: pin the authority's trust-list key (a PEM file); only a server on this machine may go without",
		"upstream.trust_key가 비어 있습니다: 기관의 인증키 목록 서명 키(PEM 파일)를 지정하세요. 이 컴퓨터에서 도는 서버만 없이 쓸 수 있습니다"},
	TrustKeyBad: {"upstream.trust_key cannot be used: %[1]s", "upstream.trust_key를 쓸 수 없습니다: %[1]s"},
	SerialBad:   {"%[1]s cannot be used: %[2]s", "%[1]s 값을 쓸 수 없습니다: %[2]s"},
	PortEmpty: {"scanner.port is empty; name the device (like /dev/ttyACM0) or say auto",
		"scanner.port가 비어 있습니다. 장치를 지정하거나 (예: /dev/ttyACM0) auto라고 적으세요"},
	FileEmpty: {"scanner.file is empty; scanner.source file reads a file or named pipe it names",
		"scanner.file이 비어 있습니다. scanner.source가 file이면 읽을 파일이나 이름 있는 파이프를 여기에 적어야 합니다"},

	FileMissing:  {"%[1]s: no such file or folder", "%[1]s: 파일이나 폴더가 없습니다"},
	FileDenied:   {"%[1]s: permission denied", "%[1]s: 권한이 없습니다"},
	FileIsDir:    {"%[1]s is a folder", "%[1]s: 폴더입니다"},
	FileNotDir:   {"%[1]s: a part of the path is not a folder", "%[1]s: 경로 중간에 폴더가 아닌 것이 있습니다"},
	FileReadOnly: {"%[1]s: the file system is read-only", "%[1]s: 읽기 전용 파일 시스템입니다"},
	FileNoSpace:  {"%[1]s: no space left on the device", "%[1]s: 저장 공간이 없습니다"},

	Usage:    {"Usage: %[1]s\nRun '%[2]s --help' for more.", "사용법: %[1]s\n자세한 내용은 '%[2]s --help'"},
	SayCheck: {"say what to do: %[1]s check", "할 일을 적으세요: %[1]s check"},
	NoTerminal: {`munjigi: the kiosk needs a terminal, and this is not one.
Without a terminal:
  munjigi demo --table          decide the demo passes and print a table
  munjigi run --headless        the door without a screen (scans in, JSON lines out)
Usage: munjigi --help lists every command.`, `munjigi: 키오스크에는 터미널이 필요한데, 여기는 터미널이 아닙니다.
터미널 없이 쓰려면:
  munjigi demo --table          데모 증명서를 판정해 표로 출력
  munjigi run --headless        화면 없는 출입문 (스캔을 받아 JSON 줄로 출력)
사용법: munjigi --help 에 모든 명령이 있습니다.`},
	KioskNeedsTerminal: {"the kiosk needs a terminal; use --headless to read scans from a script",
		"키오스크에는 터미널이 필요합니다. 스크립트에서 스캔을 읽으려면 --headless"},
	DayBad: {"--day %[1]q is not a date, like 2026-11-30", "--day 값이 %[1]q입니다. 2026-11-30 같은 날짜여야 합니다"},

	ItemConfig:         {"config", "설정"},
	ItemScanner:        {"scanner", "스캐너"},
	ItemDatabase:       {"database", "출입 기록"},
	ItemTrust:          {"trust", "인증키"},
	ItemUpstream:       {"upstream", "서버"},
	ItemClock:          {"clock", "시계"},
	ItemTerminal:       {"terminal", "터미널"},
	ItemLog:            {"log", "로그"},
	DoctorDefaults:     {"no file: the defaults", "파일 없음: 기본값"},
	DoctorFixConfig:    {"not ready: fix the configuration first ('munjigi config check')", "준비 안 됨: 먼저 설정을 고치세요 ('munjigi config check')"},
	DoctorNotReadyOne:  {"not ready: 1 problem above", "준비 안 됨: 위의 문제 1개"},
	DoctorNotReadyMany: {"not ready: %[1]d problems above", "준비 안 됨: 위의 문제 %[1]d개"},
	DoctorReady:        {"ready", "준비 완료"},
	ScannerNotFound: {"no serial scanner found (looked in %[1]s/serial/by-id, %[1]s/ttyACM*, %[1]s/ttyUSB*): is it plugged in?",
		"시리얼 스캐너를 찾지 못했습니다 (%[1]s/serial/by-id, %[1]s/ttyACM*, %[1]s/ttyUSB*를 찾아봄): 꽂혀 있나요?"},
	ScannerOpens:      {"%[1]s opens (%[2]s)", "%[1]s 열림 (%[2]s)"},
	ScannerCannotOpen: {"the scanner cannot be opened: %[1]s", "스캐너를 열 수 없습니다: %[1]s"},
	ScannerReads:      {"reads %[1]s", "%[1]s 파일을 읽습니다"},
	ScannerKeyboard: {"the keyboard: a keyboard scanner types here ('munjigi scanner test' shows what it sends)",
		"키보드: 키보드형 스캐너가 여기에 입력합니다 ('munjigi scanner test'로 스캐너가 보내는 내용을 볼 수 있습니다)"},
	ScannerKeyboardNoTTY: {"the keyboard, but standard input is not a terminal here", "키보드: 그런데 지금 표준 입력이 터미널이 아닙니다"},
	DBWillCreate:         {"%[1]s will be created at the first start", "%[1]s: 처음 시작할 때 만들어집니다"},
	DBCannotCreate:       {"%[1]s cannot be created: %[2]s", "%[1]s 파일을 만들 수 없습니다: %[2]s"},
	DBDamagedAside: {"%[1]s: %[2]s: the kiosk moves a damaged file aside and starts a fresh log",
		"%[1]s: %[2]s: 키오스크는 손상된 파일을 옆으로 옮기고 새 기록을 시작합니다"},
	DBRunning: {"%[1]s is in use by the running kiosk (process %[2]d): %[3]d entries, %[4]d waiting for upload",
		"%[1]s: 실행 중인 키오스크가 쓰고 있습니다 (프로세스 %[2]d): 기록 %[3]d건, 업로드 대기 %[4]d건"},
	DBSound: {"%[1]s is sound: %[2]d entries, %[3]d waiting for upload", "%[1]s: 정상입니다. 기록 %[2]d건, 업로드 대기 %[3]d건"},
	DBNotWritable: {"%[1]s cannot be written (%[2]s): verdicts would be shown NOT LOGGED",
		"%[1]s 폴더에 쓸 수 없습니다 (%[2]s): 판정이 '기록되지 않음'으로 표시됩니다"},
	TrustStoredBad:  {"the stored list: %[1]s", "저장된 목록: %[1]s"},
	UpstreamAnswers: {"%[1]s answers in %[2]s", "%[1]s: %[2]s 만에 응답합니다"},
	UpstreamSilent: {"%[1]s does not answer (%[2]s): signed passes still work, tokens get a manual check",
		"%[1]s 응답 없음 (%[2]s): 서명된 증명서는 그대로 확인되고, 일회용 코드는 직접 확인으로 넘어갑니다"},
	TrustNone: {"nothing trusted: every signed pass would go to a manual check (trust.files, or upstream with 'munjigi trust sync')",
		"신뢰하는 키가 없습니다: 서명된 증명서가 모두 직접 확인으로 넘어갑니다 (trust.files를 지정하거나, 서버가 있으면 'munjigi trust sync')"},
	TrustExpired: {"%[1]d keys, but the list expired %[2]s: the kiosk shows it EXPIRED; fix: 'munjigi trust sync' (or 'munjigi trust import FILE' from a USB stick)",
		"키가 %[1]d개 있지만 목록이 %[2]s에 만료되었습니다: 키오스크에 '만료'로 표시됩니다. 'munjigi trust sync'로 고치세요 (또는 USB 메모리에서 'munjigi trust import FILE')"},
	TrustStale:     {"%[1]d keys; the list is stale (issued %[2]s)", "키 %[1]d개, 그런데 목록이 오래되었습니다 (%[2]s 발행)"},
	TrustKeys:      {"%[1]d keys", "키 %[1]d개"},
	ClockUntrusted: {"%[1]s: passes that time decides go to a manual check (set the time, or enable NTP)", "%[1]s: 날짜로 판정하는 증명서는 직접 확인으로 넘어갑니다 (시간을 맞추거나 NTP를 켜세요)"},
	ClockNotSet:    {"the clock is not set", "시계가 맞춰지지 않았습니다"},
	ClockWentBack:  {"the clock went back", "시계가 뒤로 갔습니다"},
	ClockJumped:    {"the clock jumped far ahead", "시계가 크게 앞으로 갔습니다"},
	ClockOffServer: {"the clock disagrees with the server's", "시계가 서버 시간과 다릅니다"},
	TermService:    {" (the service %[1]s)", " (서비스 %[1]s)"},
	TermServiceBad: {"the service %[1]s: %[2]s", "서비스 %[1]s: %[2]s"},
	TermNone:       {"TERM is %[1]q%[2]s: the kiosk needs a terminal", "TERM이 %[1]q입니다%[2]s: 키오스크에는 터미널이 필요합니다"},
	TermNoHangul: {"the Linux console cannot draw Hangul%[1]s: run the kiosk under fbterm (deploy/munjigi-fbterm.conf) or set language: en",
		"리눅스 콘솔은 한글을 그릴 수 없습니다%[1]s: 키오스크를 fbterm에서 실행하거나 (deploy/munjigi-fbterm.conf) language: en으로 설정하세요"},
	TermNoColour:   {"%[1]s with no colours%[2]s: verdicts still show their word and symbol", "%[1]s, 색 없음%[2]s: 판정은 글자와 기호로도 표시됩니다"},
	TermOK:         {"%[1]s, %[2]s%[3]s", "%[1]s, %[2]s 사용 가능%[3]s"},
	Colours16:      {"16 colours", "16색"},
	Colours256:     {"256 colours", "256색"},
	ColoursTrue:    {"true colour", "트루컬러"},
	TermLocale:     {"the locale is not UTF-8 (LANG=%[1]q): ✓ ✗ and Hangul need it", "로캘이 UTF-8이 아닙니다 (LANG=%[1]q): ✓ ✗ 기호와 한글에 필요합니다"},
	LogNotWritable: {"%[1]s cannot be written: %[2]s", "%[1]s: 쓸 수 없습니다 (%[2]s)"},

	ConfigOK:        {"ok (%[1]s)", "문제없음 (%[1]s)"},
	ConfigDefaults:  {"no file: defaults and MUNJIGI_* environment", "파일 없음: 기본값과 MUNJIGI_* 환경 변수"},
	LabelVenue:      {"venue", "업소"},
	LabelRules:      {"rules", "기준"},
	LabelScanner:    {"scanner", "스캐너"},
	LabelEntryLog:   {"entry log", "출입 기록"},
	LabelUpstream:   {"upstream", "서버"},
	LabelLog:        {"log", "로그"},
	CheckVenue:      {"%[1]q, a %[2]s in %[3]s (%[4]s); screen in %[5]s", "%[1]q, %[3]s의 %[2]s (%[4]s); 화면 언어 %[5]s"},
	CheckEntryLog:   {"%[1]s, kept %[2]d days", "%[1]s, %[2]d일 보관"},
	CheckNoUpstream: {"none: the kiosk works alone", "없음: 키오스크 혼자 동작합니다"},
	CheckUpstream:   {"%[1]s, token budget %[2]s", "%[1]s, 일회용 코드 확인 시간 한도 %[2]s"},
	ScannerSerial:   {"serial %[1]s, %[2]d baud, %[3]s", "시리얼 %[1]s, %[2]d baud, %[3]s"},
	ScannerFile:     {"file %[1]s", "파일 %[1]s"},
	ScannerStdin:    {"keyboard (or standard input)", "키보드 (또는 표준 입력)"},
	PolicyBad:       {"the venue's rules cannot be used: %[1]s", "업소 규칙을 쓸 수 없습니다: %[1]s"},
	TrustFilesBad:   {"trust.files cannot be used: %[1]s", "trust.files를 쓸 수 없습니다: %[1]s"},
	TrustFileDir:    {"%[1]s is a directory, not a trust file", "%[1]s: 인증키 파일이 아니라 폴더입니다"},
	TrustFileEmpty:  {"%[1]s is empty", "%[1]s: 비어 있습니다"},
	TrustFileTooBig: {"%[1]s is %[2]d MiB, over the %[3]d MiB cap of a trust file", "%[1]s: %[2]d MiB로, 인증키 파일 한도 %[3]d MiB를 넘습니다"},
	TrustFileGrew:   {"%[1]s grew over the %[2]d MiB cap while it was read", "%[1]s: 읽는 사이에 한도 %[2]d MiB를 넘게 커졌습니다"},

	DBCheckOK:       {"ok", "정상"},
	DBCheckInUse:    {"in use: %[1]s", "사용 중: %[1]s"},
	DBCheckDamaged:  {"damaged: %[1]s", "손상됨: %[1]s"},
	DBCheckCannot:   {"cannot check: %[1]s", "확인할 수 없습니다: %[1]s"},
	StatsDay:        {"%[1]s: %[2]d visitors", "%[1]s: 방문 %[2]d명"},
	StatsMisreads:   {"misreads", "잘못 읽힘"},
	VerdictPass:     {"pass", "통과"},
	VerdictFail:     {"fail", "입장 불가"},
	VerdictManual:   {"manual", "직원 확인"},
	MethodQR:        {"qr", "QR"},
	MethodSticker:   {"manual-sticker", "스티커"},
	MethodSMS:       {"manual-sms", "문자"},
	MethodPaper:     {"manual-paper", "종이 증명서"},
	MethodExempt:    {"exemption", "예외"},
	MethodOverride:  {"override", "직원 판단"},
	MethodUnsettled: {"unresolved", "미처리"},
	MethodGap:       {"gap", "기록 중단"},

	InUse: {"the database is in use by another munjigi (%[1]s): is a kiosk already running? Stop it first, or use its reports ('munjigi export' works while it runs)",
		"다른 munjigi가 데이터베이스를 쓰고 있습니다 (%[1]s): 키오스크가 이미 실행 중인가요? 먼저 멈추거나, 실행 중에도 되는 보고 명령을 쓰세요 ('munjigi export')"},
	InUseBy: {"the database is in use by another munjigi (process %[1]d holds %[2]s): is a kiosk already running? Stop it first, or use its reports ('munjigi export' works while it runs)",
		"다른 munjigi가 데이터베이스를 쓰고 있습니다 (프로세스 %[1]d가 %[2]s 사용 중): 키오스크가 이미 실행 중인가요? 먼저 멈추거나, 실행 중에도 되는 보고 명령을 쓰세요 ('munjigi export')"},
	DBDamagedStuck: {"the database is damaged (%[1]s) and cannot be moved aside (%[2]s): nothing is logged",
		"데이터베이스가 손상되었고 (%[1]s) 옆으로 옮길 수도 없습니다 (%[2]s): 아무것도 기록되지 않습니다"},
	DBMovedAside: {"the database was damaged (%[1]s) and was moved aside to %[2]s; a fresh log starts here",
		"데이터베이스가 손상되어 (%[1]s) %[2]s 파일로 옮겼습니다. 여기서 새 기록을 시작합니다"},
	DBOpenStuck: {"the database cannot be opened (%[1]s) nor moved aside (%[2]s): nothing is logged",
		"데이터베이스를 열 수 없고 (%[1]s) 옆으로 옮길 수도 없습니다 (%[2]s): 아무것도 기록되지 않습니다"},
	DBOpenMovedAside: {"the database could not be opened (%[1]s) and was moved aside to %[2]s; a fresh log starts here",
		"데이터베이스를 열 수 없어 (%[1]s) %[2]s 파일로 옮겼습니다. 여기서 새 기록을 시작합니다"},
	DBReadOnly: {"the database %[1]s cannot be written (%[2]s): verdicts are shown, nothing is logged",
		"데이터베이스 %[1]s에 쓸 수 없습니다 (%[2]s): 판정은 보이지만 아무것도 기록되지 않습니다"},
	StoredListBad:    {"%[1]s; the next sync replaces it", "%[1]s: 다음 동기화 때 새 목록으로 바뀝니다"},
	LogCannotOpen:    {"log %[1]s: %[2]s", "로그 %[1]s: %[2]s"},
	LogOff:           {"%[1]s: the log is off", "%[1]s: 로그를 남기지 않습니다"},
	ScannerWaiting:   {"%[1]s; waiting for it", "%[1]s: 다시 연결되기를 기다립니다"},
	ScannerConnected: {"scanner connected: %[1]s", "스캐너 연결됨: %[1]s"},
}
