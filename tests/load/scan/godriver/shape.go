package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// shapeProblems is vu.py's shape_problems, message for message: what the final result lacks
// against the contract (http-api.md, Scan). A lookup that would raise in Python ends the
// pipeline checks with "pipeline_result (<the exception's repr>)", as there.
func shapeProblems(result map[string]any) []string {
	var problems []string
	for _, k := range []string{"task_id", "status", "message"} {
		if _, ok := result[k]; !ok {
			problems = append(problems, k)
		}
	}
	if _, ok := result["reward"]; !ok {
		problems = append(problems, "reward (must be explicit, null for none)")
	}
	if status, ok := result["status"].(string); !ok || status != "completed" {
		return problems
	}
	problems = append(problems, pipelineProblems(result)...)
	if reward := result["reward"]; reward != nil {
		fields, ok := reward.(map[string]any)
		if !ok {
			problems = append(problems, "reward fields")
		} else {
			for _, k := range []string{"name", "dialog", "match_reason", "type"} {
				if _, has := fields[k]; !has {
					problems = append(problems, "reward fields")
					break
				}
			}
		}
	}
	return problems
}

// pyError is a Python exception the same lookups would raise, for its repr.
type pyError struct{ repr string }

func (e *pyError) Error() string { return e.repr }

func pipelineProblems(result map[string]any) (problems []string) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*pyError)
			if !ok {
				panic(r)
			}
			problems = append(problems, fmt.Sprintf("pipeline_result (%s)", e.repr))
		}
	}()
	pipeline := item(result, "pipeline_result")
	classification := item(pipeline, "classification_result")
	found := item(classification, "classification")
	for _, k := range []string{"major_category", "middle_category", "minor_category"} {
		if _, ok := get(found, k).(string); !ok {
			problems = append(problems, "classification."+k)
		}
	}
	if _, ok := get(item(pipeline, "classification_result"), "situation_tags").([]any); !ok {
		problems = append(problems, "situation_tags")
	}
	switch get(pipeline, "disposal_rules").(type) {
	case map[string]any, nil:
	default:
		problems = append(problems, "disposal_rules")
	}
	answer := item(pipeline, "final_answer")
	if _, ok := get(answer, "disposal_steps").(map[string]any); !ok {
		problems = append(problems, "final_answer.disposal_steps")
	}
	if _, ok := get(answer, "insufficiencies").([]any); !ok {
		problems = append(problems, "final_answer.insufficiencies")
	}
	if _, ok := get(answer, "user_answer").(string); !ok {
		problems = append(problems, "final_answer.user_answer")
	}
	return problems
}

// item is Python's value[key] on decoded JSON.
func item(value any, key string) any {
	switch v := value.(type) {
	case map[string]any:
		found, ok := v[key]
		if !ok {
			panic(&pyError{"KeyError(" + pyStr(key) + ")"})
		}
		return found
	case []any:
		panic(&pyError{pyExc("TypeError", "list indices must be integers or slices, not str")})
	case string:
		panic(&pyError{pyExc("TypeError", "string indices must be integers, not 'str'")})
	default:
		panic(&pyError{pyExc("TypeError", fmt.Sprintf("'%s' object is not subscriptable",
			pyType(value)))})
	}
}

// get is Python's value.get(key).
func get(value any, key string) any {
	v, ok := value.(map[string]any)
	if !ok {
		panic(&pyError{pyExc("AttributeError", fmt.Sprintf("'%s' object has no attribute 'get'",
			pyType(value)))})
	}
	return v[key]
}

func pyType(value any) string {
	switch v := value.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "float"
		}
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	default:
		return "dict"
	}
}

// pyStr is repr() of a str (enough for the ASCII keys and messages used here).
func pyStr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

func pyExc(name, message string) string { return name + "(" + pyStr(message) + ")" }
