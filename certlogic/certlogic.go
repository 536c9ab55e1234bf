// Package certlogic evaluates CertLogic, the EU DCC business-rule language:
// a restricted JsonLogic with date-time operations (specification 1.3.3).
//
// It is its own package, not part of verify, because it is a language, not a
// pass format: rules written in it decide a venue's policy for any pass
// whose facts can be put as JSON. No Go library implements CertLogic, so
// this one is written to the specification, small and exact.
//
// An expression is validated whole when it is compiled, before anything is
// evaluated; evaluating a valid expression fails only on a type mismatch in
// the data (an integer comparison of a string, say), which the
// specification leaves to evaluation.
package certlogic

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Issue is one problem with an expression's form.
type Issue struct {
	Expr    any    // the offending (sub)expression
	Message string // what is wrong, in the reference validator's words
}

func (i Issue) String() string {
	b, err := json.Marshal(i.Expr)
	if err != nil {
		b = []byte(fmt.Sprint(i.Expr))
	}
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return fmt.Sprintf("%s: %s", i.Message, b)
}

// InvalidError is returned when an expression is not valid CertLogic.
type InvalidError struct{ Issues []Issue }

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		msgs[i] = is.String()
	}
	return "certlogic: invalid expression: " + strings.Join(msgs, "; ")
}

// ErrEvaluation is wrapped by errors that come up while evaluating a valid
// expression: the data did not fit an operation.
var ErrEvaluation = errors.New("certlogic: evaluation")

func evalErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrEvaluation}, args...)...)
}

// Expr is a compiled, validated CertLogic expression. It is safe for
// concurrent use.
type Expr struct {
	root node
	src  any
}

// Source returns the expression as it was given.
func (e *Expr) Source() any { return e.src }

// Compile validates expr (JSON data: maps, slices, strings, numbers, bools,
// as encoding/json decodes them, with or without UseNumber) and compiles it.
func Compile(expr any) (*Expr, error) {
	if issues := Validate(expr); len(issues) > 0 {
		return nil, &InvalidError{issues}
	}
	return &Expr{root: compile(expr), src: expr}, nil
}

// Evaluate evaluates e with data as its context.
func (e *Expr) Evaluate(data any) (any, error) {
	v, err := e.root.eval(data)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Evaluate compiles expr and evaluates it with data.
func Evaluate(expr, data any) (any, error) {
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	return e.Evaluate(data)
}

// Values during evaluation are JSON data as given, plus date-times, which
// only plusTime and dccDateOfBirth make. Numbers may arrive as float64,
// json.Number, int64 (CBOR) or other Go integers; integer results are int64.

// DateTime is a CertLogic date-time: an instant with millisecond precision.
type DateTime struct{ time.Time }

// jsTimeLayout is JavaScript's Date.toJSON form.
const jsTimeLayout = "2006-01-02T15:04:05.000Z"

// MarshalJSON writes a date-time as JavaScript's Date.toJSON does.
func (d DateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.UTC().Format(jsTimeLayout))
}

// AsInt returns v as an integer when it is one: CertLogic numbers are
// JavaScript numbers, so 2.0 is the integer 2.
func AsInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) <= 1<<53 {
			return int64(n), true
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		if f, err := n.Float64(); err == nil {
			return AsInt(f)
		}
	}
	return 0, false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, int, int32, uint64, float64, json.Number:
		return true
	}
	return false
}

// boolsiness is CertLogic's truthiness: true for truthy, false for falsy,
// and ok=false for values that are neither (date-times, non-integer numbers
// other than 0).
func boolsiness(v any) (truthy, ok bool) {
	switch x := v.(type) {
	case nil:
		return false, true
	case bool:
		return x, true
	case string:
		return x != "", true
	case []any:
		return len(x) > 0, true
	case map[string]any:
		return len(x) > 0, true
	}
	if isNumber(v) {
		f, _ := toFloat(v)
		return f != 0, !math.IsNaN(f)
	}
	return false, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	if i, ok := AsInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// strictEqual is JavaScript's ===: numbers and strings and booleans by
// value, null equal to null, arrays and objects only to themselves, and a
// date-time to nothing (each one is a new object).
func strictEqual(a, b any) bool {
	if isNumber(a) && isNumber(b) {
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		return fa == fb
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any, map[string]any:
		if reflect.TypeOf(a) != reflect.TypeOf(b) {
			return false
		}
		return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() &&
			reflect.ValueOf(a).Len() == reflect.ValueOf(b).Len()
	}
	return false
}

// Validation: the reference validator's rules and words.

var infixOps = map[string]bool{
	"===": true, "and": true, ">": true, "<": true, ">=": true, "<=": true, "in": true, "+": true,
	"after": true, "before": true, "not-after": true, "not-before": true,
}

var timeUnits = map[string]bool{"year": true, "month": true, "day": true, "hour": true}

var varPath = regexp.MustCompile(`^([^.]+?)(\.[^.]+?)*$`)

// Validate reports every problem with expr's form; none means it compiles.
func Validate(expr any) []Issue {
	var issues []Issue
	validate(expr, &issues)
	return issues
}

func validate(expr any, issues *[]Issue) {
	add := func(format string, args ...any) {
		*issues = append(*issues, Issue{expr, fmt.Sprintf(format, args...)})
	}
	switch x := expr.(type) {
	case string, bool:
		return
	case nil:
		add("invalid CertLogic expression")
		return
	case []any:
		for _, item := range x {
			validate(item, issues)
		}
		return
	case map[string]any:
		validateOperation(x, issues, add)
		return
	}
	if isNumber(expr) {
		if _, ok := AsInt(expr); !ok {
			add("%v is a non-integer number", expr)
		}
		return
	}
	add("invalid CertLogic expression")
}

func validateOperation(x map[string]any, issues *[]Issue, add func(string, ...any)) {
	if len(x) != 1 {
		add("expression object must have exactly one key, but it has %d", len(x))
		return
	}
	var op string
	var raw any
	for op, raw = range x {
	}
	if op == "var" {
		path, ok := raw.(string)
		if !ok {
			add(`not of the form { "var": "<path>" }`)
		} else if path != "" && !varPath.MatchString(path) {
			add("data access path doesn't have a valid format: %s", path)
		}
		return
	}
	values, ok := raw.([]any)
	if !ok {
		add(`operation not of the form { "<operator>": [ <values...> ] }`)
		return
	}
	operands := func(max int) {
		for _, v := range values[:min(len(values), max)] {
			validate(v, issues)
		}
	}
	switch {
	case op == "if":
		if len(values) != 3 {
			add(`an "if"-operation must have exactly 3 values/operands, but it has %d`, len(values))
		}
		operands(3)
	case infixOps[op]:
		max := len(values)
		switch op {
		case "and":
			if len(values) < 2 {
				add(`an "and" operation must have at least 2 operands, but it has %d`, len(values))
			}
		case "<", ">", "<=", ">=", "after", "before", "not-after", "not-before":
			max = 3
			if len(values) < 2 || len(values) > 3 {
				add(`an operation with operator "%s" must have 2 or 3 operands, but it has %d`, op, len(values))
			}
		default:
			max = 2
			if len(values) != 2 {
				add(`an operation with operator "%s" must have 2 operands, but it has %d`, op, len(values))
			}
		}
		operands(max)
	case op == "!":
		if len(values) != 1 {
			add("a !-operation (logical not/negation) must have exactly 1 operand, but it has %d", len(values))
			return
		}
		operands(1)
	case op == "plusTime":
		if len(values) != 3 {
			add(`a "plusTime"-operation must have exactly 3 values/operands, but it has %d`, len(values))
		}
		operands(1)
		if len(values) > 1 {
			if _, ok := AsInt(values[1]); !ok {
				add(`"amount" argument (#2) of "plusTime" must be an integer, but it is: %v`, values[1])
			}
		}
		if len(values) > 2 {
			if u, _ := values[2].(string); !timeUnits[u] {
				add(`"unit" argument (#3) of "plusTime" must be a string equal to one of year, month, day, hour, but it is: %v`, values[2])
			}
		}
	case op == "reduce":
		if len(values) != 3 {
			add(`a "reduce"-operation must have exactly 3 values/operands, but it has %d`, len(values))
		}
		operands(3)
	case op == "extractFromUVCI":
		if len(values) != 2 {
			add(`an "extractFromUVCI"-operation must have exactly 2 values/operands, but it has %d`, len(values))
		}
		operands(1)
		if len(values) > 1 {
			if _, ok := AsInt(values[1]); !ok {
				add(`"index" argument (#2) of "extractFromUVCI" must be an integer, but it is: %v`, values[1])
			}
		}
	case op == "dccDateOfBirth":
		if len(values) != 1 {
			add(`a "dccDateOfBirth"-operation must have exactly 1 operand, but it has %d`, len(values))
			return
		}
		operands(1)
	default:
		add(`unrecognised operator: "%s"`, op)
	}
}

// Compilation turns a valid expression into a tree of nodes, so evaluation
// does no map lookups, parsing or validation: rules are compiled once and
// evaluated on every scan.

type node interface {
	eval(data any) (any, error)
}

func compile(expr any) node {
	switch x := expr.(type) {
	case []any:
		items := make([]node, len(x))
		for i, item := range x {
			items[i] = compile(item)
		}
		return arrayNode(items)
	case map[string]any:
		for op, raw := range x {
			if op == "var" {
				return compileVar(raw.(string))
			}
			values := raw.([]any)
			args := func(n int) []node {
				out := make([]node, n)
				for i := range out {
					out[i] = compile(values[i])
				}
				return out
			}
			switch {
			case op == "if":
				a := args(3)
				return ifNode{a[0], a[1], a[2]}
			case infixOps[op]:
				return infixNode{op, args(len(values))}
			case op == "!":
				return notNode{compile(values[0])}
			case op == "plusTime":
				amount, _ := AsInt(values[1])
				return plusTimeNode{compile(values[0]), int(amount), values[2].(string)}
			case op == "reduce":
				a := args(3)
				return reduceNode{a[0], a[1], a[2]}
			case op == "extractFromUVCI":
				index, _ := AsInt(values[1])
				return extractNode{compile(values[0]), int(index)}
			case op == "dccDateOfBirth":
				return dobNode{compile(values[0])}
			}
		}
	}
	if i, ok := AsInt(expr); ok {
		return literal{i}
	}
	return literal{expr}
}

type literal struct{ v any }

func (l literal) eval(any) (any, error) { return l.v, nil }

type arrayNode []node

func (a arrayNode) eval(data any) (any, error) {
	out := make([]any, len(a))
	for i, n := range a {
		v, err := n.eval(data)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// varNode is data access: fragments of a dotted path, each also read as an
// array index when it is an integer.
type varNode struct {
	all   bool
	keys  []string
	index []int // -1 where the fragment is not an integer
}

func compileVar(path string) node {
	if path == "" {
		return varNode{all: true}
	}
	n := varNode{keys: strings.Split(path, ".")}
	n.index = make([]int, len(n.keys))
	for i, k := range n.keys {
		n.index[i] = -1
		if idx, err := strconv.Atoi(k); err == nil {
			n.index[i] = idx
		}
	}
	return n
}

func (n varNode) eval(data any) (any, error) {
	if n.all {
		return data, nil
	}
	cur := data
	for i, k := range n.keys {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[k] // a missing key is nil: null
		case []any:
			if idx := n.index[i]; idx >= 0 && idx < len(x) {
				cur = x[idx]
			} else {
				cur = nil
			}
		default:
			cur = nil
		}
		if cur == nil {
			return nil, nil
		}
	}
	return cur, nil
}

type ifNode struct{ guard, then, els node }

func (n ifNode) eval(data any) (any, error) {
	g, err := n.guard.eval(data)
	if err != nil {
		return nil, err
	}
	truthy, ok := boolsiness(g)
	switch {
	case !ok:
		return nil, evalErr("if-guard evaluates to something neither truthy, nor falsy: %v", g)
	case truthy:
		return n.then.eval(data)
	}
	return n.els.eval(data)
}

type notNode struct{ operand node }

func (n notNode) eval(data any) (any, error) {
	v, err := n.operand.eval(data)
	if err != nil {
		return nil, err
	}
	truthy, ok := boolsiness(v)
	if !ok {
		return nil, evalErr("operand of ! evaluates to something neither truthy, nor falsy: %v", v)
	}
	return !truthy, nil
}

type infixNode struct {
	op       string
	operands []node
}

func (n infixNode) eval(data any) (any, error) {
	if n.op == "and" {
		// Lazy, left to right: the first falsy operand, or the last.
		var v any = true
		for _, o := range n.operands {
			truthy, ok := boolsiness(v)
			if !ok {
				return nil, evalErr(`all operands of an "and" operation must be either truthy or falsy`)
			}
			if !truthy {
				return v, nil
			}
			var err error
			if v, err = o.eval(data); err != nil {
				return nil, err
			}
		}
		if _, ok := boolsiness(v); !ok {
			return nil, evalErr(`all operands of an "and" operation must be either truthy or falsy`)
		}
		return v, nil
	}
	var buf [3]any
	vals := buf[:len(n.operands)]
	for i, o := range n.operands {
		v, err := o.eval(data)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	switch n.op {
	case "===":
		return strictEqual(vals[0], vals[1]), nil
	case "in":
		list, ok := vals[1].([]any)
		if !ok {
			return nil, evalErr(`right-hand side of an "in" operation must be an array`)
		}
		for _, item := range list {
			if strictEqual(vals[0], item) {
				return true, nil
			}
		}
		return false, nil
	case "+":
		l, lok := AsInt(vals[0])
		r, rok := AsInt(vals[1])
		if !lok || !rok {
			return nil, evalErr("operands of this operation must both be integers")
		}
		return l + r, nil
	case "<", ">", "<=", ">=":
		ints := make([]int64, len(vals))
		for i, v := range vals {
			var ok bool
			if ints[i], ok = AsInt(v); !ok {
				return nil, evalErr("all operands of a comparison operation must be of integer type")
			}
		}
		return chain(n.op, len(ints), func(i int) int { return cmpInt(ints[i], ints[i+1]) }), nil
	case "after", "before", "not-after", "not-before":
		var dts [3]time.Time
		for i, v := range vals {
			d, ok := v.(DateTime)
			if !ok {
				return nil, evalErr("all operands of a date-time comparison must be date-times")
			}
			dts[i] = d.Time
		}
		op := map[string]string{"after": ">", "before": "<", "not-after": "<=", "not-before": ">="}[n.op]
		return chain(op, len(vals), func(i int) int { return dts[i].Compare(dts[i+1]) }), nil
	}
	return nil, evalErr("unhandled infix operator %q", n.op)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chain applies a comparison to each neighbouring pair: the ternary form
// a < b < c means a < b and b < c.
func chain(op string, n int, cmp func(i int) int) bool {
	for i := 0; i+1 < n; i++ {
		c := cmp(i)
		var ok bool
		switch op {
		case "<":
			ok = c < 0
		case ">":
			ok = c > 0
		case "<=":
			ok = c <= 0
		case ">=":
			ok = c >= 0
		}
		if !ok {
			return false
		}
	}
	return true
}

type plusTimeNode struct {
	operand node
	amount  int
	unit    string
}

func (n plusTimeNode) eval(data any) (any, error) {
	v, err := n.operand.eval(data)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, evalErr(`date argument of "plusTime" must be a string`)
	}
	t, err := ParseDateTime(s)
	if err != nil {
		return nil, err
	}
	return DateTime{PlusTime(t, n.amount, n.unit)}, nil
}

// PlusTime offsets t as JavaScript's Date.setUTC* methods do: calendar
// arithmetic in UTC, days overflowing into the next month (2020-02-29 plus
// one year is 2021-03-01).
func PlusTime(t time.Time, amount int, unit string) time.Time {
	switch unit {
	case "year":
		return t.AddDate(amount, 0, 0)
	case "month":
		return t.AddDate(0, amount, 0)
	case "day":
		return t.AddDate(0, 0, amount)
	case "hour":
		return t.Add(time.Duration(amount) * time.Hour)
	}
	return t
}

type dobNode struct{ operand node }

func (n dobNode) eval(data any) (any, error) {
	v, err := n.operand.eval(data)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, evalErr(`operand of "dccDateOfBirth" must be a string`)
	}
	t, err := DateOfBirth(s)
	if err != nil {
		return nil, err
	}
	return DateTime{t}, nil
}

type reduceNode struct{ operand, lambda, initial node }

func (n reduceNode) eval(data any) (any, error) {
	v, err := n.operand.eval(data)
	if err != nil {
		return nil, err
	}
	acc, err := n.initial.eval(data)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return acc, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, evalErr("operand of reduce evaluated to a non-null non-array")
	}
	for _, item := range list {
		// The specification allows "data" beside current and accumulator:
		// rules that need the outer context can read it.
		if acc, err = n.lambda.eval(map[string]any{"current": item, "accumulator": acc, "data": data}); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

type extractNode struct {
	operand node
	index   int
}

func (n extractNode) eval(data any) (any, error) {
	v, err := n.operand.eval(data)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, evalErr(`"UVCI" argument (#1) of "extractFromUVCI" must be either a string or null`)
	}
	if f, ok := ExtractFromUVCI(s, n.index); ok {
		return f, nil
	}
	return nil, nil
}

// ExtractFromUVCI returns fragment index of a UVCI split on '/', '#' and
// ':', after an optional "URN:UVCI:" prefix.
func ExtractFromUVCI(uvci string, index int) (string, bool) {
	if index < 0 {
		return "", false
	}
	uvci = strings.TrimPrefix(uvci, "URN:UVCI:")
	for i := 0; ; i++ {
		end := strings.IndexAny(uvci, "/#:")
		if i == index {
			if end < 0 {
				return uvci, true
			}
			return uvci[:end], true
		}
		if end < 0 {
			return "", false
		}
		uvci = uvci[end+1:]
	}
}
