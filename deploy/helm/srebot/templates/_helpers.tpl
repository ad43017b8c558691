{{- define "srebot.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "srebot.labels" -}}
app.kubernetes.io/name: srebot
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
