"""Model ids named as readers know them, and anything else left exactly as it was given."""

from __future__ import annotations

import pytest

from blog.model_names import display_name, known_name, speaker_name


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        # ChatGPT's own slugs, as conversations.json records them
        ("text-davinci-002-render-sha", "GPT-3.5"),
        ("text-davinci-002-render-paid", "GPT-3.5"),
        ("text-davinci-002-render", "GPT-3.5"),
        ("gpt-4", "GPT-4"),
        ("gpt-4-browsing", "GPT-4 (browsing)"),
        ("gpt-4-plugins", "GPT-4 (plugins)"),
        ("gpt-4-code-interpreter", "GPT-4 (Code Interpreter)"),
        ("gpt-4-gizmo", "GPT-4 (custom GPT)"),
        ("gpt-4-mobile", "GPT-4"),
        ("gpt-4o", "GPT-4o"),
        ("gpt-4o-mini", "GPT-4o mini"),
        ("gpt-4o-canmore", "GPT-4o (canvas)"),
        ("gpt-4-1", "GPT-4.1"),
        ("gpt-4-1-mini", "GPT-4.1 mini"),
        ("gpt-4-5", "GPT-4.5"),
        ("o1-preview", "o1-preview"),
        ("o1-mini", "o1-mini"),
        ("o1", "o1"),
        ("o1-pro", "o1-pro"),
        ("o3", "o3"),
        ("o3-mini-high", "o3-mini-high"),
        ("o4-mini", "o4-mini"),
        ("o4-mini-high", "o4-mini-high"),
        ("auto", "ChatGPT (Auto)"),
        ("research", "ChatGPT deep research"),
        ("agent-mode", "ChatGPT agent"),
        ("gpt-5", "GPT-5"),
        ("gpt-5-instant", "GPT-5 Instant"),
        ("gpt-5-thinking", "GPT-5 Thinking"),
        ("gpt-5-t-mini", "GPT-5 Thinking mini"),
        ("gpt-5-pro", "GPT-5 Pro"),
        ("gpt-5-1", "GPT-5.1"),
        ("gpt-5-1-thinking", "GPT-5.1 Thinking"),
        ("gpt-5-2-instant", "GPT-5.2 Instant"),
        # OpenAI's API ids, dated and not
        ("gpt-3.5-turbo", "GPT-3.5 Turbo"),
        ("gpt-3.5-turbo-0125", "GPT-3.5 Turbo"),
        ("gpt-3.5-turbo-16k", "GPT-3.5 Turbo 16K"),
        ("gpt-4-0613", "GPT-4"),
        ("gpt-4-32k", "GPT-4 32K"),
        ("gpt-4-1106-preview", "GPT-4 Turbo (preview)"),
        ("gpt-4-turbo-2024-04-09", "GPT-4 Turbo"),
        ("gpt-4o-2024-08-06", "GPT-4o"),
        ("gpt-4o-mini-2024-07-18", "GPT-4o mini"),
        ("chatgpt-4o-latest", "ChatGPT-4o"),
        ("gpt-4.1-nano-2025-04-14", "GPT-4.1 nano"),
        ("gpt-4.5-preview", "GPT-4.5 (preview)"),
        ("o1-preview-2024-09-12", "o1-preview"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-5-mini", "GPT-5 mini"),
        ("gpt-5-codex", "GPT-5-Codex"),
        ("gpt-5.1-codex-max", "GPT-5.1-Codex-Max"),
        ("openai/gpt-4o", "GPT-4o"),
        # Anthropic: API ids, aliases, Bedrock and Vertex forms, OpenRouter paths
        ("claude-2", "Claude 2"),
        ("claude-2.1", "Claude 2.1"),
        ("claude-instant-1.2", "Claude Instant 1.2"),
        ("anthropic.claude-v2:1", "Claude 2.1"),
        ("anthropic.claude-instant-v1", "Claude Instant"),
        ("claude-3-opus-20240229", "Claude 3 Opus"),
        ("claude-3-haiku-20240307", "Claude 3 Haiku"),
        ("claude-3-5-sonnet-20240620", "Claude 3.5 Sonnet"),
        ("claude-3-5-sonnet-20241022", "Claude 3.5 Sonnet"),
        ("claude-3-5-sonnet-latest", "Claude 3.5 Sonnet"),
        ("claude-3-5-haiku-20241022", "Claude 3.5 Haiku"),
        ("claude-3-7-sonnet-20250219", "Claude 3.7 Sonnet"),
        ("claude-sonnet-4-20250514", "Claude Sonnet 4"),
        ("claude-opus-4-20250514", "Claude Opus 4"),
        ("claude-opus-4-1", "Claude Opus 4.1"),
        ("claude-opus-4-1-20250805", "Claude Opus 4.1"),
        ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5"),
        ("claude-haiku-4-5-20251001", "Claude Haiku 4.5"),
        ("claude-sonnet-4-5", "Claude Sonnet 4.5"),
        ("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet"),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet"),
        ("claude-3-5-sonnet@20240620", "Claude 3.5 Sonnet"),
        ("claude-3-5-sonnet-v2@20241022", "Claude 3.5 Sonnet"),
        ("anthropic/claude-3.5-sonnet", "Claude 3.5 Sonnet"),
        ("anthropic/claude-3.5-sonnet:beta", "Claude 3.5 Sonnet"),  # OpenRouter's variant
        # Google
        ("gemini-pro", "Gemini 1.0 Pro"),
        ("models/gemini-1.5-pro-002", "Gemini 1.5 Pro"),
        ("gemini-1.5-flash-8b", "Gemini 1.5 Flash 8B"),
        ("gemini-2.0-flash-001", "Gemini 2.0 Flash"),
        ("gemini-2.0-flash-lite", "Gemini 2.0 Flash-Lite"),
        ("gemini-2.0-flash-thinking-exp-01-21", "Gemini 2.0 Flash Thinking (experimental)"),
        ("gemini-2.5-pro", "Gemini 2.5 Pro"),
        ("gemini-2.5-pro-preview-05-06", "Gemini 2.5 Pro (preview)"),
        ("gemini-2.5-flash-image-preview", "Gemini 2.5 Flash Image (preview)"),
        ("gemini-3-pro-preview", "Gemini 3 Pro (preview)"),
        ("google/gemini-2.5-flash", "Gemini 2.5 Flash"),
        ("google/gemini-flash-1.5", "Gemini 1.5 Flash"),  # OpenRouter's order
        ("google/gemma-3-27b-it", "Gemma 3 27B"),
        ("gemma3:27b", "Gemma 3 27B"),
        # Meta
        ("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B"),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo", "Llama 3.1 70B"),
        ("meta-llama/Meta-Llama-3-70B-Instruct", "Llama 3 70B"),
        ("llama-3.3-70b-versatile", "Llama 3.3 70B"),
        ("llama3-70b-8192", "Llama 3 70B"),
        ("llama3.1:8b", "Llama 3.1 8B"),
        ("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B"),
        ("llama-3.2-11b-vision-instruct", "Llama 3.2 11B Vision"),
        ("llama-2-70b-chat", "Llama 2 70B"),
        ("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "Llama 4 Maverick 17B-128E"),
        # Mistral
        ("mistral-large-latest", "Mistral Large"),
        ("mistral-large-2407", "Mistral Large"),
        ("mistral-small-3.1-24b-instruct-2503", "Mistral Small 3.1 24B"),
        ("open-mistral-7b", "Mistral 7B"),
        ("open-mistral-nemo", "Mistral NeMo"),
        ("open-mixtral-8x22b", "Mixtral 8x22B"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "Mixtral 8x7B"),
        ("mistral.mistral-7b-instruct-v0:2", "Mistral 7B"),
        ("codestral-latest", "Codestral"),
        ("codestral-2405", "Codestral"),
        ("codestral-mamba", "Codestral Mamba"),
        ("pixtral-large-latest", "Pixtral Large"),
        ("ministral-8b-latest", "Ministral 8B"),
        ("magistral-medium-2506", "Magistral Medium"),
        # DeepSeek
        ("deepseek-chat", "DeepSeek-V3"),
        ("deepseek-reasoner", "DeepSeek-R1"),
        ("deepseek-ai/DeepSeek-V3", "DeepSeek-V3"),
        ("deepseek-r1-0528", "DeepSeek-R1"),
        ("deepseek-r1:14b", "DeepSeek-R1-14B"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "DeepSeek-R1-Distill-Qwen-32B"),
        ("deepseek-v3.1-terminus", "DeepSeek-V3.1-Terminus"),
        ("deepseek/deepseek-chat-v3-0324", "DeepSeek-V3"),
        # Qwen
        ("qwen-max", "Qwen-Max"),
        ("qwen-turbo", "Qwen-Turbo"),
        ("qwen/qwen-2.5-72b-instruct", "Qwen2.5-72B"),
        ("qwen-plus-2025-01-25", "Qwen-Plus"),
        ("Qwen/Qwen2.5-72B-Instruct", "Qwen2.5-72B"),
        ("qwen3-235b-a22b", "Qwen3-235B-A22B"),
        ("qwen2.5-coder:7b-instruct-q4_K_M", "Qwen2.5-Coder-7B"),
        ("Qwen/QwQ-32B", "QwQ-32B"),
        ("qwen-max-latest", "Qwen-Max"),
        ("qwen3-235b-a22b-2507", "Qwen3-235B-A22B"),
        ("magistral-medium-latest", "Magistral Medium"),
        # Perplexity
        ("sonar", "Sonar"),
        ("sonar-pro", "Sonar Pro"),
        ("sonar-reasoning-pro", "Sonar Reasoning Pro"),
        ("sonar-deep-research", "Sonar Deep Research"),
        ("perplexity/sonar-pro", "Sonar Pro"),
        ("r1-1776", "R1 1776"),
        # xAI
        ("grok-beta", "Grok (beta)"),
        ("grok-2-1212", "Grok 2"),
        ("grok-2-vision-1212", "Grok 2 Vision"),
        ("grok-3-mini-beta", "Grok 3 mini (beta)"),
        ("grok-4-0709", "Grok 4"),
        ("x-ai/grok-4", "Grok 4"),
        ("grok-code-fast-1", "Grok Code Fast 1"),
        # grok.com's ids in a Grok export
        ("grok-3", "Grok 3"),
        ("grok-4-auto", "Grok 4 (Auto)"),
        ("grok-4-mini-thinking-tahoe", "Grok 4 mini Thinking"),
        ("grok-4-1-non-thinking-w-tool", "Grok 4.1"),
        ("grok-4-1-thinking", "Grok 4.1 Thinking"),
        # DeepSeek's chat app names the model of each message by its API id
        ("deepseek-reasoner", "DeepSeek-R1"),
        ("deepseek-chat", "DeepSeek-V3"),
    ],
)
def test_an_id_is_named_as_readers_know_it(model_id, name):
    assert display_name(model_id) == name
    assert known_name(model_id) == name


@pytest.mark.parametrize(
    "given",
    [
        "GPT-3.5",  # already a name: the table gives it back unchanged
        "Claude 3.5 Sonnet",  # a name with spaces is the author's, never read as an id
        "text-davinci-002-render-sha (my notes)",
        "gpt-4o-jawbone",  # a slug whose last word no rule knows
        "gemini-exp-1206",
        "amazon.nova-pro-v1:0",
        "<synthetic>",
        "my-local-model",
        "mixtral-8x7b-32768",  # a context length is no version: better the id than a wrong name
        "llama-guard-3-8b",
        "gpt-image-1",
        "openrouter/auto",  # OpenRouter's router, not ChatGPT's Auto
        "pplx_pro",  # Perplexity's own slug for a plan's default, no model
        "sonar-turbo",  # a Sonar word no rule knows
        # Models built on another are not named as the one they were built on.
        "nousresearch/hermes-3-llama-3.1-70b",
        "cognitivecomputations/dolphin-mixtral-8x22b",
        "nvidia/llama-3.3-nemotron-super-49b-v1",
        "ChatGPT",
        "claude",
        "",
        "  ",
    ],
)
def test_anything_not_recognised_is_shown_exactly_as_given(given):
    expected = "GPT-3.5" if given == "GPT-3.5" else given
    assert display_name(given) == expected
    if given != "GPT-3.5":
        assert known_name(given) is None


@pytest.mark.parametrize(
    ("speaker", "shown"),
    [
        ("ChatGPT (text-davinci-002-render-sha)", "ChatGPT (GPT-3.5)"),
        ("ChatGPT (gpt-4o)", "ChatGPT (GPT-4o)"),
        ("gpt-4o", "GPT-4o"),
        ("claude-3-5-sonnet-20241022 (reasoning)", "Claude 3.5 Sonnet (reasoning)"),
        ("ChatGPT (reasoning)", "ChatGPT (reasoning)"),
        ("ChatGPT", "ChatGPT"),
        ("Claude Code", "Claude Code"),
        ("A (b) and (c)", "A (b) and (c)"),
        ("", ""),
    ],
)
def test_a_speaker_label_names_the_model_it_holds(speaker, shown):
    assert speaker_name(speaker) == shown
