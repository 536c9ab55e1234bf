package ui

import (
	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/verify"
)

// Text is every word the kiosk shows, in one language. Both languages live
// here, side by side, so that nothing is said in one and not the other:
// the decision step returns codes, and these maps word every one of them
// (a test walks the exported lists of codes, so a new code without words
// fails it).
type Text struct {
	Lang string

	// The ready screen.
	ScanPrompt  string // the words in the big box
	ScanHint    string
	Reading     string // a scanner has started typing a pass
	ReadingHint string
	// OneKeyAtATime: keys came too fast to be a person's commands (and
	// were not a scan); ScannerTooSlow: a scanner types too slowly for
	// the keyboard's settings (kiosk.wedge_gap).
	OneKeyAtATime  string
	ScannerTooSlow string
	Checking       string // a scan is being decided
	ScannerGone    string // the big box when the scanner is unplugged
	ScannerHint    string
	Venue          string
	Policy         string
	NoPolicy       string
	PolicyOwn      string // a profile with no title in this language
	PolicyPlus     string // the venue's own rules on top of a profile
	Unsettled      string // the last waiting verdict was left unsettled
	ClockWarning   string // %s: why the clock is not trusted

	// The verdict's headline, by what the screen asks of the person.
	Pass, Fail, Manual, Again, More, Gap string

	BornIn      string // %d: the birth year
	AlreadyIn   string // %s: the time
	NotLogged   string // %s: why
	GapLine     string // what a gap entry says
	ChooseCheck string // above the options
	Misread     string // a misread while a verdict waits for staff

	// The status lines: a phrase per state, and a short label for narrow
	// screens (a state that is fine shows as the label and ✓).
	Scanners        map[scanner.Kind]string
	ScannerShort    string
	TrustFresh      string
	TrustStale      string
	TrustExpired    string
	TrustUndated    string
	TrustNone       string
	TrustShort      string
	UpstreamNone    string
	UpstreamOnline  string
	UpstreamOffline string
	UpstreamBreaker string
	UpstreamWaiting string
	UpstreamShort   string
	ClockOK         string
	ClockBad        string
	ClockShort      string
	Today           string // %d passed, %d refused, %d by hand
	TodayShort      string

	// Codes, worded.
	ClockWhy map[gate.ClockCode]string
	LogWhy   map[gate.LogCode]string
	Methods  map[gate.Method]string
	Types    map[verify.Type]string
	Formats  map[verify.Format]string
	Reasons  map[verify.Reason]string
	// Checks are what a venue's rules ask staff to check (a Manual rule's
	// Check), by code.
	Checks map[string]string
	// Options are the checks by hand (gate.Checks), by their reason code;
	// OptionsShort the same in a word or two, for small screens.
	Options      map[verify.Reason]string
	OptionsShort map[verify.Reason]string
	// Verdicts are the verdicts as counts say them.
	Verdicts map[verify.Verdict]string

	// The manual check, the PIN, quitting.
	ManualTitle  string
	ManualFor    string // %s: the verdict it resolves
	ManualAny    string
	PINPrompt    string
	PINWrong     string
	QuitTitle    string
	QuitQuestion string

	// Stats, log, help.
	StatsTitle    string // %s: the date
	DateLayout    string
	ByHour        string
	Visitors      string // %d
	How           string
	MisreadCount  string // %d
	Speed         string // %s usually, %s for 95 in 100
	LastMinute    string // %d
	NoEntries     string
	HistoryUnread string
	LogTitle      string
	LogColumns    [5]string // time, verdict, method, type, reason
	HelpTitle     string
	Seconds       func(seconds float64) string

	// The keys: a word or two for the key hint, a line for the help
	// screen.
	KeyManual, KeyOptions, KeyStats, KeyLog, KeyLang, KeyHelp, KeyBack, KeyQuit         string
	HelpManual, HelpOptions, HelpStats, HelpLog, HelpLang, HelpHelp, HelpBack, HelpQuit string
}

var korean = Text{
	Lang: "ko",

	ScanPrompt:     "QR 코드를 스캐너에 대 주세요",
	ScanHint:       "휴대전화가 없으면 직원에게: 스티커 · 문자 · 종이 증명서",
	Reading:        "읽는 중…",
	OneKeyAtATime:  "키를 한 번에 하나씩 누르세요",
	ScannerTooSlow: "스캐너가 너무 느립니다: 설정의 kiosk.wedge_gap을 늘리세요 (munjigi scanner test)",
	ReadingHint:    "휴대전화를 그대로 대 주세요",
	Checking:       "확인 중…",
	ScannerGone:    "스캐너 연결 끊김",
	ScannerHint:    "케이블을 확인하세요. 다시 연결되면 저절로 이어집니다",
	Venue:          "업소",
	Policy:         "기준",
	NoPolicy:       "기준 없음 (증명서만 확인)",
	PolicyOwn:      "업소가 정한 기준",
	PolicyPlus:     " + 업소 규칙",
	Unsettled:      "앞 방문자는 확인하지 않은 채로 기록됐습니다",
	ClockWarning:   "%s: 시간으로 판단하는 증명서는 직원이 확인합니다",

	Pass:   "통과",
	Fail:   "입장 불가",
	Manual: "직원 확인",
	Again:  "다시 스캔",
	More:   "계속 스캔",
	Gap:    "기록 중단",

	BornIn:      "%d년생",
	AlreadyIn:   "%s에 이미 입장한 증명서입니다: 본인 것인지 확인하세요",
	NotLogged:   "기록되지 않음: %s",
	GapLine:     "기록이 중단됐다가 여기서 다시 시작됩니다",
	ChooseCheck: "어떻게 확인했나요?",
	Misread:     "스캐너가 잘못 읽었습니다",

	Scanners: map[scanner.Kind]string{
		scanner.Read:         "키보드 스캐너",
		scanner.Connected:    "스캐너 연결됨",
		scanner.Disconnected: "스캐너 끊김",
		scanner.Reading:      "스캐너 읽는 중",
		scanner.Ignored:      "입력 무시됨",
	},
	ScannerShort:    "스캐너",
	TrustFresh:      "인증키 최신",
	TrustStale:      "인증키 오래됨",
	TrustExpired:    "인증키 만료",
	TrustUndated:    "인증키 날짜 없음",
	TrustNone:       "인증키 없음",
	TrustShort:      "인증키",
	UpstreamNone:    "서버 사용 안 함",
	UpstreamOnline:  "서버 연결됨",
	UpstreamOffline: "서버 끊김",
	UpstreamBreaker: "서버 장애: 직접 확인",
	UpstreamWaiting: "서버 대기 중",
	UpstreamShort:   "서버",
	ClockOK:         "시계 정상",
	ClockBad:        "시계 확인 필요",
	ClockShort:      "시계",
	Today:           "오늘 통과 %d · 불가 %d · 직원 확인 %d",
	TodayShort:      "통과 %d · 불가 %d · 확인 %d",

	ClockWhy: map[gate.ClockCode]string{
		gate.ClockNotSet:    "시계가 맞춰지지 않았습니다",
		gate.ClockBehind:    "시계가 뒤로 갔습니다",
		gate.ClockAhead:     "시계가 크게 앞으로 갔습니다 (서버 확인 필요)",
		gate.ClockOffServer: "시계가 서버 시간과 다릅니다",
	},
	LogWhy: map[gate.LogCode]string{
		gate.LogNoDatabase: "데이터베이스 없음",
		gate.LogFull:       "저장 공간이 가득 찼습니다",
		gate.LogReadOnly:   "저장 장치에 쓸 수 없습니다 (읽기 전용)",
		gate.LogFailed:     "데이터베이스에 쓸 수 없습니다",
	},
	Methods: map[gate.Method]string{
		gate.MethodQR:            "QR",
		gate.MethodManualSticker: "스티커",
		gate.MethodManualSMS:     "문자",
		gate.MethodManualPaper:   "종이",
		gate.MethodExemption:     "예외",
		gate.MethodOverride:      "직원 판단",
		gate.MethodUnresolved:    "미처리",
		gate.MethodGap:           "기록 중단",
	},
	Types: map[verify.Type]string{
		verify.Vaccination: "예방접종",
		verify.Test:        "검사 결과",
		verify.Recovery:    "완치",
	},
	Formats: map[verify.Format]string{
		verify.FormatDCC:     "EU 디지털 코로나 증명서",
		verify.FormatSHC:     "스마트 헬스 카드",
		verify.FormatToken:   "일회용 QR",
		verify.FormatUnknown: "알 수 없는 코드",
	},
	Reasons: map[verify.Reason]string{
		verify.ReasonOK:                "유효한 증명서",
		verify.ReasonUnknownFormat:     "증명서 QR 코드가 아닙니다",
		verify.ReasonTooLarge:          "증명서가 아닙니다 (너무 큼)",
		verify.ReasonEncoding:          "QR 코드가 손상되었습니다",
		verify.ReasonCompression:       "QR 코드가 손상되었습니다",
		verify.ReasonStructure:         "증명서 형식이 잘못되었습니다",
		verify.ReasonUnknownSigner:     "등록되지 않은 발급기관입니다",
		verify.ReasonAlgorithm:         "서명 방식이 잘못되었습니다",
		verify.ReasonSignature:         "서명이 맞지 않습니다: 위조나 변조",
		verify.ReasonNotYetValid:       "아직 유효하지 않은 증명서입니다",
		verify.ReasonExpired:           "유효기간이 지난 증명서입니다",
		verify.ReasonSignerWindow:      "발급기관의 키 유효기간 밖입니다",
		verify.ReasonKeyUsage:          "이 종류를 발급할 수 없는 키입니다",
		verify.ReasonContent:           "증명서 내용이 잘못되었습니다",
		verify.ReasonRevoked:           "취소된 증명서입니다",
		verify.ReasonInternal:          "프로그램 오류: 직접 확인하세요",
		verify.ReasonRuleFailed:        "방역 기준에 맞지 않습니다",
		verify.ReasonRuleManual:        "방역 기준상 직원 확인이 필요합니다",
		verify.ReasonRuleError:         "기준을 적용할 수 없습니다: 직접 확인하세요",
		verify.ReasonIncomplete:        "나머지 QR 코드도 스캔해 주세요",
		verify.ReasonRevocationUnknown: "취소 여부를 확인할 수 없습니다",
		verify.ReasonReused:            "이미 입장한 증명서입니다",
		verify.ReasonClockUntrusted:    "키오스크 시계를 믿을 수 없습니다: 직접 확인하세요",
		verify.ReasonMisread:           "스캐너가 잘못 읽었습니다: 다시 스캔해 주세요",
		verify.ReasonUpstreamDown:      "확인 서버가 응답하지 않습니다: 직접 확인하세요",
		verify.ReasonTokenUsed:         "이미 사용한 QR 코드입니다: 새로 받아 주세요",
		verify.ReasonTokenInvalid:      "유효하지 않거나 시간이 지난 QR 코드입니다",
		verify.ReasonTokenRefused:      "확인 기관이 이 QR 코드를 거부했습니다",
		gate.ReasonLogGap:              "기록이 중단됐습니다",
		reasonOther:                    "다른 사유: 직접 확인하세요",
	},
	Checks: map[string]string{
		"solo-diner":      "혼자 식사하는 미접종자: 직원이 확인",
		"exemption":       "예외 대상 (확진 이력 등): 확인서를 보세요",
		"second-document": "두 번째 증명서가 필요합니다",
		checkOther:        "직원이 확인하세요",
	},
	Options: map[verify.Reason]string{
		gate.CheckSticker.Reason:   "신분증 접종 스티커",
		gate.CheckSMS.Reason:       "접종 확인 문자",
		gate.CheckPaper.Reason:     "종이 증명서",
		gate.CheckMinor.Reason:     "예외: 18세 이하",
		gate.CheckRecovered.Reason: "예외: 완치자",
		gate.CheckMedical.Reason:   "예외: 의학적 사유",
		gate.CheckSoloDiner.Reason: "혼자 식사 (식당·카페)",
		gate.CheckDenied.Reason:    "입장 거절",
	},
	OptionsShort: map[verify.Reason]string{
		gate.CheckSticker.Reason:   "스티커",
		gate.CheckSMS.Reason:       "문자",
		gate.CheckPaper.Reason:     "종이",
		gate.CheckMinor.Reason:     "18세 이하",
		gate.CheckRecovered.Reason: "완치자",
		gate.CheckMedical.Reason:   "의학적 사유",
		gate.CheckSoloDiner.Reason: "혼자 식사",
		gate.CheckDenied.Reason:    "거절",
	},
	Verdicts: map[verify.Verdict]string{
		verify.Pass:   "통과",
		verify.Fail:   "입장 불가",
		verify.Manual: "직원 확인",
	},

	ManualTitle:  "직접 확인",
	ManualFor:    "이 방문자: %s",
	ManualAny:    "휴대전화가 없는 방문자 등",
	PINPrompt:    "직원 PIN을 입력하고 Enter",
	PINWrong:     "PIN이 맞지 않습니다",
	QuitTitle:    "키오스크 종료",
	QuitQuestion: "종료할까요? y 예 · n 아니오",

	StatsTitle:    "오늘 통계  %s",
	DateLayout:    "2006년 1월 2일",
	ByHour:        "시간별 방문자",
	Visitors:      "방문자 %d명",
	How:           "확인 방법",
	MisreadCount:  "잘못 읽혀 다시 스캔한 횟수 %d (방문자 아님)",
	Speed:         "스캔부터 판정까지 보통 %s, 100번 중 95번은 %s 안에",
	LastMinute:    "최근 1분 동안 %d명",
	NoEntries:     "아직 기록이 없습니다",
	HistoryUnread: "기록을 읽을 수 없어 이번 실행부터 셉니다",
	LogTitle:      "최근 기록",
	LogColumns:    [5]string{"시각", "판정", "방법", "종류", "사유"},
	HelpTitle:     "키 안내",
	Seconds:       func(s float64) string { return trimFloat(s) + "초" },

	KeyManual:   "직접 확인",
	KeyOptions:  "확인 방법",
	KeyStats:    "통계",
	KeyLog:      "기록",
	KeyLang:     "English",
	KeyHelp:     "도움말",
	KeyBack:     "돌아가기",
	KeyQuit:     "종료",
	HelpManual:  "휴대전화가 없는 방문자: 스티커 · 문자 · 종이 · 예외",
	HelpOptions: "노란 화면이나 직접 확인에서 확인한 방법을 고릅니다",
	HelpStats:   "오늘 방문자 수, 시간별, 확인 방법",
	HelpLog:     "최근 기록 (개인정보 없음)",
	HelpLang:    "화면을 영어로 바꿉니다",
	HelpHelp:    "이 안내",
	HelpBack:    "노란 화면은 확인하지 않은 채로 기록하고 닫습니다",
	HelpQuit:    "먼저 묻고, PIN이 있으면 PIN도 묻습니다",
}

var english = Text{
	Lang: "en",

	ScanPrompt:     "Scan your pass",
	ScanHint:       "No phone? Show staff your sticker, SMS or paper certificate",
	Reading:        "Reading…",
	OneKeyAtATime:  "Press one key at a time",
	ScannerTooSlow: "The scanner types too slowly: raise kiosk.wedge_gap (munjigi scanner test)",
	ReadingHint:    "Hold your phone still",
	Checking:       "Checking…",
	ScannerGone:    "Scanner unplugged",
	ScannerHint:    "Check its cable: scanning resumes by itself when it is back",
	Venue:          "Venue",
	Policy:         "Rules",
	NoPolicy:       "none (the pass alone decides)",
	PolicyOwn:      "the venue's own rules",
	PolicyPlus:     " + the venue's rules",
	Unsettled:      "The last visitor was recorded as not checked",
	ClockWarning:   "%s: staff check the passes that time decides",

	Pass:   "PASS",
	Fail:   "NO ENTRY",
	Manual: "CHECK BY HAND",
	Again:  "SCAN AGAIN",
	More:   "SCAN THE REST",
	Gap:    "LOG GAP",

	BornIn:      "born %d",
	AlreadyIn:   "already entered at %s with this pass: check it is theirs",
	NotLogged:   "NOT LOGGED: %s",
	GapLine:     "the log was interrupted and starts again here",
	ChooseCheck: "How did you check?",
	Misread:     "The scanner misread",

	Scanners: map[scanner.Kind]string{
		scanner.Read:         "Keyboard scanner",
		scanner.Connected:    "Scanner connected",
		scanner.Disconnected: "SCANNER UNPLUGGED",
		scanner.Reading:      "Scanner reading",
		scanner.Ignored:      "Keys ignored",
	},
	ScannerShort:    "Scanner",
	TrustFresh:      "Keys up to date",
	TrustStale:      "KEYS OUT OF DATE",
	TrustExpired:    "KEYS EXPIRED",
	TrustUndated:    "Keys undated",
	TrustNone:       "NO KEYS",
	TrustShort:      "Keys",
	UpstreamNone:    "Server not used",
	UpstreamOnline:  "Server online",
	UpstreamOffline: "SERVER OFFLINE",
	UpstreamBreaker: "SERVER DOWN: check by hand",
	UpstreamWaiting: "Server not asked yet",
	UpstreamShort:   "Server",
	ClockOK:         "Clock OK",
	ClockBad:        "CLOCK UNTRUSTED",
	ClockShort:      "Clock",
	Today:           "Today %d passed · %d refused · %d by hand",
	TodayShort:      "%d in · %d out · %d by hand",

	ClockWhy: map[gate.ClockCode]string{
		gate.ClockNotSet:    "The clock is not set",
		gate.ClockBehind:    "The clock went back",
		gate.ClockAhead:     "The clock jumped ahead (the server must confirm it)",
		gate.ClockOffServer: "The clock differs from the server's",
	},
	LogWhy: map[gate.LogCode]string{
		gate.LogNoDatabase: "no database",
		gate.LogFull:       "the disk is full",
		gate.LogReadOnly:   "the storage is read-only",
		gate.LogFailed:     "the database cannot be written",
	},
	Methods: map[gate.Method]string{
		gate.MethodQR:            "QR",
		gate.MethodManualSticker: "sticker",
		gate.MethodManualSMS:     "SMS",
		gate.MethodManualPaper:   "paper",
		gate.MethodExemption:     "exempt",
		gate.MethodOverride:      "staff",
		gate.MethodUnresolved:    "not checked",
		gate.MethodGap:           "log gap",
	},
	Types: map[verify.Type]string{
		verify.Vaccination: "vaccination",
		verify.Test:        "test",
		verify.Recovery:    "recovery",
	},
	Formats: map[verify.Format]string{
		verify.FormatDCC:     "EU COVID certificate",
		verify.FormatSHC:     "SMART Health Card",
		verify.FormatToken:   "one-time code",
		verify.FormatUnknown: "unknown code",
	},
	Reasons: map[verify.Reason]string{
		verify.ReasonOK:                "valid pass",
		verify.ReasonUnknownFormat:     "not a pass munjigi can read",
		verify.ReasonTooLarge:          "not a pass (far too large)",
		verify.ReasonEncoding:          "the QR code is damaged",
		verify.ReasonCompression:       "the QR code is damaged",
		verify.ReasonStructure:         "the pass is malformed",
		verify.ReasonUnknownSigner:     "issued by a signer not on the trust list",
		verify.ReasonAlgorithm:         "signed the wrong way",
		verify.ReasonSignature:         "the signature does not match: altered or forged",
		verify.ReasonNotYetValid:       "the pass is not valid yet",
		verify.ReasonExpired:           "the pass has expired",
		verify.ReasonSignerWindow:      "issued outside its signing key's validity",
		verify.ReasonKeyUsage:          "its key may not sign this kind of pass",
		verify.ReasonContent:           "the pass's content is invalid",
		verify.ReasonRevoked:           "the pass has been revoked",
		verify.ReasonInternal:          "a munjigi error: check by hand",
		verify.ReasonRuleFailed:        "does not meet the venue's rules",
		verify.ReasonRuleManual:        "the rules ask for a check by hand",
		verify.ReasonRuleError:         "the rules could not be applied: check by hand",
		verify.ReasonIncomplete:        "scan the other parts of this card",
		verify.ReasonRevocationUnknown: "cannot tell whether it was revoked",
		verify.ReasonReused:            "this pass was already used to enter",
		verify.ReasonClockUntrusted:    "the kiosk's clock cannot be trusted: check by hand",
		verify.ReasonMisread:           "the scanner misread: scan again",
		verify.ReasonUpstreamDown:      "the authority's server did not answer: check by hand",
		verify.ReasonTokenUsed:         "this code was already used: ask for a new one",
		verify.ReasonTokenInvalid:      "the code is unknown or has expired",
		verify.ReasonTokenRefused:      "the authority refused the code",
		gate.ReasonLogGap:              "the log was interrupted",
		reasonOther:                    "another reason: check by hand",
	},
	Checks: map[string]string{
		"solo-diner":      "unvaccinated, dining alone: staff confirm",
		"exemption":       "may be exempt (e.g. recovered): see their proof",
		"second-document": "a second certificate is needed",
		checkOther:        "staff check",
	},
	Options: map[verify.Reason]string{
		gate.CheckSticker.Reason:   "vaccination sticker on ID",
		gate.CheckSMS.Reason:       "confirmation SMS",
		gate.CheckPaper.Reason:     "paper certificate",
		gate.CheckMinor.Reason:     "exempt: 18 or under",
		gate.CheckRecovered.Reason: "exempt: recovered",
		gate.CheckMedical.Reason:   "exempt: medical",
		gate.CheckSoloDiner.Reason: "dining alone (restaurant, café)",
		gate.CheckDenied.Reason:    "deny entry",
	},
	OptionsShort: map[verify.Reason]string{
		gate.CheckSticker.Reason:   "sticker",
		gate.CheckSMS.Reason:       "SMS",
		gate.CheckPaper.Reason:     "paper",
		gate.CheckMinor.Reason:     "18 or under",
		gate.CheckRecovered.Reason: "recovered",
		gate.CheckMedical.Reason:   "medical",
		gate.CheckSoloDiner.Reason: "dining alone",
		gate.CheckDenied.Reason:    "deny",
	},
	Verdicts: map[verify.Verdict]string{
		verify.Pass:   "passed",
		verify.Fail:   "refused",
		verify.Manual: "by hand",
	},

	ManualTitle:  "Manual check",
	ManualFor:    "For this visitor: %s",
	ManualAny:    "for a visitor without a phone pass",
	PINPrompt:    "Staff PIN, then Enter",
	PINWrong:     "wrong PIN",
	QuitTitle:    "Quit the kiosk",
	QuitQuestion: "Quit? y yes · n no",

	StatsTitle:    "Today  %s",
	DateLayout:    "Mon 2 Jan 2006",
	ByHour:        "visitors by hour",
	Visitors:      "%d visitors",
	How:           "how they were checked",
	MisreadCount:  "misreads scanned again: %d (not counted as visitors)",
	Speed:         "scan to verdict: usually %s; 95 in 100 within %s",
	LastMinute:    "in the last minute: %d",
	NoEntries:     "nothing recorded yet",
	HistoryUnread: "the log could not be read: counts start from this run",
	LogTitle:      "Latest entries",
	LogColumns:    [5]string{"time", "verdict", "method", "type", "reason"},
	HelpTitle:     "Keys",
	Seconds:       englishSeconds,

	KeyManual:   "manual check",
	KeyOptions:  "how you checked",
	KeyStats:    "stats",
	KeyLog:      "log",
	KeyLang:     "한국어",
	KeyHelp:     "help",
	KeyBack:     "back",
	KeyQuit:     "quit",
	HelpManual:  "a visitor without a phone: sticker, SMS, paper, exempt",
	HelpOptions: "on an amber screen or a manual check: how you checked",
	HelpStats:   "today's visitors, by hour and by how they were checked",
	HelpLog:     "the latest entries (no personal data)",
	HelpLang:    "switch the screen to Korean",
	HelpHelp:    "these keys",
	HelpBack:    "back; an amber screen is recorded as not checked",
	HelpQuit:    "asks first, and for a staff PIN when there are any",
}

// Codes for what has no code of its own: a reason or a check some server
// or rule file made up. They are worded like the rest, so a screen never
// shows a code it cannot say.
const (
	reasonOther verify.Reason = "other"
	checkOther                = "other"
)

// texts are the languages, by config name.
var texts = map[string]*Text{"ko": &korean, "en": &english}

// Languages are the languages the kiosk speaks.
func Languages() []string { return []string{"ko", "en"} }
