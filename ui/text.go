package ui

import (
	"munjigi/gate"
	"munjigi/verify"
)

// Text is every word the kiosk shows, in one language. Both languages live
// here, side by side, so that nothing is said in one and not the other (a
// test checks every field of both).
type Text struct {
	Lang string

	ScanPrompt  string // the big line on the ready screen
	ScanHint    string
	Checking    string
	Venue       string
	Policy      string
	NoPolicy    string
	Pass        string // the verdict words
	Fail        string
	Manual      string
	KeysHint    string // the ready screen's last line
	NotLogged   string // %s: why
	LogGap      string
	BornIn      string // %d: the birth year
	AlreadyIn   string // %s: the time
	ScanAgain   string
	ChooseCheck string // the amber screen's line above the options

	// The status line.
	Scanner         string
	ScannerOK       string
	ScannerDown     string
	ScannerKeyboard string
	Trust           string
	TrustFresh      string
	TrustStale      string
	TrustExpired    string
	TrustUndated    string
	TrustNone       string
	Upstream        string
	UpstreamNone    string
	UpstreamOnline  string
	UpstreamOffline string
	UpstreamBreaker string
	UpstreamWaiting string
	Clock           string
	ClockOK         string
	ClockBad        string
	Today           string // %d pass, %d fail, %d manual

	// ClockWhy says why the clock is distrusted; LogWhy why an entry was
	// not logged.
	ClockWhy map[gate.ClockCode]string
	LogWhy   map[gate.LogCode]string

	Types   map[verify.Type]string
	Reasons map[verify.Reason]string
	// Checks are what the venue's rules ask staff to check.
	Checks map[string]string

	// The manual check.
	ManualTitle  string
	ManualFor    string // %s: the verdict it resolves
	ManualAny    string
	Options      map[string]string // by option key
	Recorded     string            // %s: the option
	PINPrompt    string
	PINWrong     string
	QuitTitle    string
	QuitQuestion string

	// Stats, log, help.
	StatsTitle  string
	ByHour      string
	PerMinute   string // %d
	Verdicts    string
	Methods     string
	P95         string // %s
	NoEntries   string
	LogTitle    string
	LogColumns  [5]string // time, verdict, method, type, reason
	HelpTitle   string
	MethodNames map[string]string

	// Key help.
	KeyManual, KeyStats, KeyLog, KeyHelp, KeyBack, KeyQuit, KeyLang, KeyOptions string
}

var korean = Text{
	Lang:        "ko",
	ScanPrompt:  "QR 코드를 스캐너에 대 주세요",
	ScanHint:    "증명서 QR · 스티커 · 문자 확인은 직원에게",
	Checking:    "확인 중…",
	Venue:       "업소",
	Policy:      "기준",
	NoPolicy:    "기준 없음 (증명서만 확인)",
	Pass:        "통과",
	Fail:        "입장 불가",
	Manual:      "직원 확인",
	KeysHint:    "m 직접 확인 · s 통계 · l 기록 · ? 도움말",
	NotLogged:   "기록되지 않음: %s",
	LogGap:      "기록 중단",
	BornIn:      "%d년생",
	AlreadyIn:   "%s에 이미 입장한 증명서입니다",
	ScanAgain:   "다시 스캔해 주세요",
	ChooseCheck: "확인 방법을 고르세요:",

	Scanner:         "스캐너",
	ScannerOK:       "연결됨",
	ScannerDown:     "끊김",
	ScannerKeyboard: "키보드",
	Trust:           "인증키",
	TrustFresh:      "최신",
	TrustStale:      "오래됨",
	TrustExpired:    "만료",
	TrustUndated:    "날짜 없음",
	TrustNone:       "없음",
	Upstream:        "서버",
	UpstreamNone:    "사용 안 함",
	UpstreamOnline:  "연결됨",
	UpstreamOffline: "끊김",
	UpstreamBreaker: "장애 (직접 확인)",
	UpstreamWaiting: "대기 중",
	Clock:           "시계",
	ClockOK:         "정상",
	ClockBad:        "확인 필요",
	Today:           "오늘 통과 %d · 불가 %d · 확인 %d",

	ClockWhy: map[gate.ClockCode]string{
		gate.ClockNotSet:    "시계가 맞춰지지 않았습니다",
		gate.ClockBehind:    "시계가 뒤로 갔습니다",
		gate.ClockAhead:     "시계가 크게 앞으로 갔습니다: 서버 확인 필요",
		gate.ClockOffServer: "시계가 서버 시간과 다릅니다",
	},
	LogWhy: map[gate.LogCode]string{
		gate.LogNoDatabase: "데이터베이스 없음",
		gate.LogFull:       "저장 공간이 가득 찼습니다",
		gate.LogReadOnly:   "저장 장치에 쓸 수 없습니다 (읽기 전용)",
		gate.LogFailed:     "데이터베이스에 쓸 수 없습니다",
	},
	Types: map[verify.Type]string{
		verify.Vaccination: "예방접종",
		verify.Test:        "검사 결과",
		verify.Recovery:    "완치",
	},
	Reasons: map[verify.Reason]string{
		verify.ReasonOK:                "유효한 증명서",
		verify.ReasonUnknownFormat:     "읽을 수 없는 QR 코드입니다",
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
		verify.ReasonRuleError:         "기준을 적용할 수 없습니다",
		verify.ReasonIncomplete:        "나머지 QR 코드도 스캔해 주세요",
		verify.ReasonRevocationUnknown: "취소 여부를 확인할 수 없습니다",
		verify.ReasonReused:            "이미 입장한 증명서입니다",
		verify.ReasonClockUntrusted:    "키오스크 시계를 믿을 수 없습니다",
		verify.ReasonMisread:           "스캐너가 잘못 읽었습니다: 다시 스캔해 주세요",
		verify.ReasonUpstreamDown:      "확인 서버가 응답하지 않습니다: 직접 확인하세요",
		verify.ReasonTokenUsed:         "이미 사용한 QR 코드입니다: 새로 받아 주세요",
		verify.ReasonTokenInvalid:      "유효하지 않거나 시간이 지난 QR 코드입니다",
		verify.ReasonTokenRefused:      "확인 기관이 이 QR 코드를 거부했습니다",
	},
	Checks: map[string]string{
		"solo-diner":      "혼자 식사하는 미접종자: 직원이 확인",
		"exemption":       "예외 대상 (확진 이력 등): 확인서를 보세요",
		"second-document": "두 번째 증명서가 필요합니다",
	},

	ManualTitle: "직접 확인",
	ManualFor:   "이 방문자: %s",
	ManualAny:   "휴대전화가 없는 방문자 등",
	Options: map[string]string{
		"1": "신분증 접종 스티커",
		"2": "접종 확인 문자",
		"3": "종이 증명서",
		"4": "예외: 18세 이하",
		"5": "예외: 완치자",
		"6": "예외: 의학적 사유",
		"7": "혼자 식사 (식당·카페)",
		"0": "입장 거절",
	},
	Recorded:     "기록됨: %s",
	PINPrompt:    "직원 PIN을 입력하고 Enter",
	PINWrong:     "PIN이 맞지 않습니다",
	QuitTitle:    "키오스크 종료",
	QuitQuestion: "종료할까요? y 예 · n 아니오",

	StatsTitle: "오늘 통계",
	ByHour:     "시간별",
	PerMinute:  "최근 1분 %d건",
	Verdicts:   "판정",
	Methods:    "방법",
	P95:        "스캔→판정 p95 %s",
	NoEntries:  "아직 기록이 없습니다",
	LogTitle:   "최근 기록",
	LogColumns: [5]string{"시각", "판정", "방법", "종류", "사유"},
	HelpTitle:  "키 안내",
	MethodNames: map[string]string{
		"qr":             "QR",
		"manual-sticker": "스티커",
		"manual-sms":     "문자",
		"manual-paper":   "종이",
		"exemption":      "예외",
		"override":       "직원 판단",
		"unresolved":     "미처리",
		"gap":            "기록 중단",
	},

	KeyManual:  "직접 확인 (스티커·문자·종이·예외)",
	KeyStats:   "오늘 통계",
	KeyLog:     "최근 기록",
	KeyHelp:    "키 안내",
	KeyBack:    "처음 화면",
	KeyQuit:    "종료",
	KeyLang:    "English",
	KeyOptions: "확인 방법 선택",
}

var english = Text{
	Lang:        "en",
	ScanPrompt:  "Scan your pass",
	ScanHint:    "No phone? Show staff your sticker, SMS or paper certificate",
	Checking:    "Checking…",
	Venue:       "Venue",
	Policy:      "Rules",
	NoPolicy:    "none (the pass alone decides)",
	Pass:        "PASS",
	Fail:        "NO ENTRY",
	Manual:      "CHECK BY HAND",
	KeysHint:    "m manual check · s stats · l log · ? help",
	NotLogged:   "NOT LOGGED: %s",
	LogGap:      "log interrupted",
	BornIn:      "born %d",
	AlreadyIn:   "already entered at %s with this pass",
	ScanAgain:   "Please scan again",
	ChooseCheck: "How did you check?",

	Scanner:         "Scanner",
	ScannerOK:       "on",
	ScannerDown:     "OFF",
	ScannerKeyboard: "keyboard",
	Trust:           "Keys",
	TrustFresh:      "fresh",
	TrustStale:      "STALE",
	TrustExpired:    "EXPIRED",
	TrustUndated:    "undated",
	TrustNone:       "NONE",
	Upstream:        "Server",
	UpstreamNone:    "not used",
	UpstreamOnline:  "online",
	UpstreamOffline: "OFFLINE",
	UpstreamBreaker: "DOWN (check by hand)",
	UpstreamWaiting: "not asked yet",
	Clock:           "Clock",
	ClockOK:         "ok",
	ClockBad:        "UNTRUSTED",
	Today:           "Today %d pass · %d no · %d hand",

	ClockWhy: map[gate.ClockCode]string{
		gate.ClockNotSet:    "the clock is not set",
		gate.ClockBehind:    "the clock went back",
		gate.ClockAhead:     "the clock jumped ahead: the server must confirm it",
		gate.ClockOffServer: "the clock differs from the server's",
	},
	LogWhy: map[gate.LogCode]string{
		gate.LogNoDatabase: "no database",
		gate.LogFull:       "the disk is full",
		gate.LogReadOnly:   "the storage is read-only",
		gate.LogFailed:     "the database cannot be written",
	},
	Types: map[verify.Type]string{
		verify.Vaccination: "vaccination",
		verify.Test:        "test",
		verify.Recovery:    "recovery",
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
		verify.ReasonRuleError:         "the rules could not be applied",
		verify.ReasonIncomplete:        "scan the other parts of this card",
		verify.ReasonRevocationUnknown: "cannot tell whether it was revoked",
		verify.ReasonReused:            "this pass was already used to enter",
		verify.ReasonClockUntrusted:    "the kiosk's clock cannot be trusted",
		verify.ReasonMisread:           "the scanner misread: scan again",
		verify.ReasonUpstreamDown:      "the authority's server did not answer: check by hand",
		verify.ReasonTokenUsed:         "this code was already used: ask for a new one",
		verify.ReasonTokenInvalid:      "the code is unknown or has expired",
		verify.ReasonTokenRefused:      "the authority refused the code",
	},
	Checks: map[string]string{
		"solo-diner":      "unvaccinated, dining alone: staff confirm",
		"exemption":       "may be exempt (e.g. recovered): see their proof",
		"second-document": "a second certificate is needed",
	},

	ManualTitle: "Manual check",
	ManualFor:   "For this visitor: %s",
	ManualAny:   "for a visitor without a phone pass",
	Options: map[string]string{
		"1": "vaccination sticker on ID",
		"2": "confirmation SMS",
		"3": "paper certificate",
		"4": "exempt: 18 or under",
		"5": "exempt: recovered",
		"6": "exempt: medical",
		"7": "dining alone (restaurant, café)",
		"0": "deny entry",
	},
	Recorded:     "recorded: %s",
	PINPrompt:    "Staff PIN, then Enter",
	PINWrong:     "wrong PIN",
	QuitTitle:    "Quit the kiosk",
	QuitQuestion: "Quit? y yes · n no",

	StatsTitle: "Today",
	ByHour:     "by hour",
	PerMinute:  "last minute: %d",
	Verdicts:   "verdicts",
	Methods:    "methods",
	P95:        "scan to verdict p95 %s",
	NoEntries:  "nothing recorded yet",
	LogTitle:   "Latest entries",
	LogColumns: [5]string{"time", "verdict", "method", "type", "reason"},
	HelpTitle:  "Keys",
	MethodNames: map[string]string{
		"qr":             "QR",
		"manual-sticker": "sticker",
		"manual-sms":     "SMS",
		"manual-paper":   "paper",
		"exemption":      "exempt",
		"override":       "staff",
		"unresolved":     "unsettled",
		"gap":            "log gap",
	},

	KeyManual:  "manual check (sticker, SMS, paper, exempt)",
	KeyStats:   "today's stats",
	KeyLog:     "latest entries",
	KeyHelp:    "keys",
	KeyBack:    "back to the scan screen",
	KeyQuit:    "quit",
	KeyLang:    "한국어",
	KeyOptions: "how it was checked",
}

// texts are the languages, by config name.
var texts = map[string]*Text{"ko": &korean, "en": &english}

// Languages are the languages the kiosk speaks.
func Languages() []string { return []string{"ko", "en"} }
