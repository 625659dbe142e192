package grpcserver_test

import corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

func headerMap(m map[string]string) *corev3.HeaderMap {
	hm := &corev3.HeaderMap{}
	for k, v := range m {
		hm.Headers = append(hm.Headers, &corev3.HeaderValue{Key: k, RawValue: []byte(v)})
	}
	return hm
}
